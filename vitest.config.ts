import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own process: the local runtime configures handlers through the
    // process environment, exactly as Lambda does, so two runtimes must never share a process.
    pool: 'forks',
    isolate: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // Node 20 runs the tests here; the SDK's reminder that it will want Node 22 is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    coverage: {
      provider: 'v8',
      include: ['src/**', 'functions/**', 'local/**', 'lib/**'],
      reporter: ['text-summary', 'html'],
    },
  },
});
