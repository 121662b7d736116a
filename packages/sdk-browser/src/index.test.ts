import { expect, it } from 'vitest';
import { SDK_BROWSER_VERSION } from './index.js';

it('exposes its version', () => {
  expect(SDK_BROWSER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});
