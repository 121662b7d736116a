import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'sdk-browser',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // Closing a browser context waits for pending beacons: slow on a loaded 2-core machine.
    hookTimeout: 30_000,
  },
});
