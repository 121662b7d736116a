import { z } from '@hono/zod-openapi';

/** The one error body of the API, as app.onError renders it. */
export const errorSchema = z
  .object({
    error: z.string(),
    code: z.string(),
    details: z
      .array(z.object({ index: z.number().optional(), field: z.string(), message: z.string() }))
      .optional(),
    requestId: z.string().optional(),
  })
  .openapi('Error');

/** An error answer of the given description, for a route's `responses`. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
});

/** Error answers shared by authenticated routes. */
export const errors = {
  400: errorResponse('Invalid request'),
  401: errorResponse('Missing, invalid, expired or revoked credentials'),
  403: errorResponse('Your role does not allow this'),
  404: errorResponse('No such resource in your organization'),
  409: errorResponse('Conflicts with the current state'),
  429: errorResponse('Rate limited: see Retry-After'),
};

/** The usual error answers of an authenticated read route. */
export const errorResponses = { 400: errors[400], 401: errors[401], 403: errors[403] };

export const bearer = [{ bearerAuth: [] }];

/** A 200 JSON answer of the given description and schema. */
export const ok = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

/** `{id}` path parameter. */
export const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
