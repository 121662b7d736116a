import { expect, it } from 'vitest';
import { SDK_NODE_VERSION } from './index.js';

it('exposes its version', () => {
  expect(SDK_NODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});
