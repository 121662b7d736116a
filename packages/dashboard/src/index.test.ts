import { expect, it } from 'vitest';
import { DASHBOARD_VERSION } from './index.js';

it('exposes its version', () => {
  expect(DASHBOARD_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
});
