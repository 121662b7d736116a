export type { CoreEvents, DropReason, QueueStorage, ShutdownResult } from '@heed/sdk-core';
export { memoryStorage, ValidationError } from '@heed/sdk-core';
export type {
  Common,
  HeedNode,
  Identity,
  InteractionMessage,
  NodeSettings,
  TrackMessage,
} from './client.js';
export { createHeed, VERSION } from './client.js';
export { gzip, undiciTransport, withHeaders } from './transport.js';
