import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests run real child processes (the CLI); give them room on a loaded 2-core machine.
    testTimeout: 20_000,
  },
});
