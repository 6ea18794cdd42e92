import { afterAll, vi } from 'vitest';

/**
 * Setup of the test files that share a worker's module cache (see vitest.config.ts): whatever a file
 * does to the process environment or the clock is undone before the next file runs.
 */
const environment = { ...process.env };

afterAll(() => {
  vi.useRealTimers();
  for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
  Object.assign(process.env, environment);
});
