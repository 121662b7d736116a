import { expect, it } from 'vitest';
import { ML_CORE_VERSION } from './index.js';

it('exposes its version', () => {
  expect(ML_CORE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});
