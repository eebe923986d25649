import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/golden/**/*.test.ts',
      'test/cli/**/*.test.ts',
      'test/webview/**/*.test.ts',
      'test/bench/**/*.test.ts',
      'test/tensorFiles/**/*.test.ts',
      'test/limits/**/*.test.ts',
    ],
    testTimeout: 60_000,
  },
});
