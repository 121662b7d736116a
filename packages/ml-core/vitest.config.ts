import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ml-core',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
