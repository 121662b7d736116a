export type { CoreEvents, DropReason, QueueStorage } from '@heed/sdk-core';
export { ValidationError } from '@heed/sdk-core';
export type { BrowserSettings, CallOptions, Heed } from './client.js';
export { createHeed, VERSION, validateBrowserSettings } from './client.js';
export { loaderSnippet } from './loader.js';
export { browserStorage, idbStorage, localStorageQueue } from './storage.js';
