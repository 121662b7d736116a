import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { MAX_BATCH } from '../../analysis/pool.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';

const Text = z.string().min(1, 'must not be empty').max(10_000, 'must be at most 10,000 characters');

const Prediction = z
  .object({
    label: z.enum(['positive', 'negative', 'neutral']),
    scores: z.object({ positive: z.number(), negative: z.number(), neutral: z.number() }),
    confidence: z.number(),
    processingTimeMs: z.number(),
    cached: z.boolean(),
  })
  .openapi('SentimentPrediction');

const single = createRoute({
  method: 'post',
  path: '/v1/predict/sentiment',
  tags: ['Analysis'],
  summary: 'Score the sentiment of one text',
  security: [{ bearerAuth: [] }],
  request: {
    body: { required: true, content: { 'application/json': { schema: z.object({ text: Text }) } } },
  },
  responses: {
    200: { description: 'The prediction', content: { 'application/json': { schema: Prediction } } },
    503: { description: 'The analysis pool is unavailable' },
  },
});

const batch = createRoute({
  method: 'post',
  path: '/v1/predict/sentiment/batch',
  tags: ['Analysis'],
  summary: `Score up to ${MAX_BATCH} texts`,
  security: [{ bearerAuth: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            texts: z
              .array(Text)
              .min(1, 'must not be empty')
              .max(MAX_BATCH, `must hold at most ${MAX_BATCH} texts`),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'One prediction per text, in order',
      content: { 'application/json': { schema: z.object({ predictions: z.array(Prediction) }) } },
    },
    503: { description: 'The analysis pool is unavailable' },
  },
});

/** Sentiment on demand, through the same pool and cache as the ingest analysis. */
export function predictRoutes(ctx: AppContext) {
  const app = new OpenAPIHono();
  app.use('/v1/predict/*', ctx.auth());
  const predictor = () => {
    const p = ctx.analysis?.predictor;
    if (!p?.pool.available) {
      throw new HeedError('service_unavailable', 'The analysis pool is unavailable', { retryAfter: 5 });
    }
    return p;
  };
  app.openapi(single, async (c) => {
    const [prediction] = await predictor().predict([c.req.valid('json').text]);
    return c.json(prediction!, 200);
  });
  app.openapi(batch, async (c) => {
    const predictions = await predictor().predict(c.req.valid('json').texts);
    return c.json({ predictions }, 200);
  });
  return app;
}
