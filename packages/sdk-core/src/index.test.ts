import { expect, it } from 'vitest';
import { SDK_CORE_VERSION } from './index.js';

it('exposes its version', () => {
  expect(SDK_CORE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});
