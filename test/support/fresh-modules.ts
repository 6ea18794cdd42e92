import { vi } from 'vitest';

/**
 * Setup of the test files that start a local runtime of their own but share a worker process with
 * other such files (vitest.config.ts): each file gets Latchkey's modules afresh, so the handlers
 * read this file's configuration and build their AWS clients anew, as in a Lambda function's first
 * invocation. Dependencies in node_modules (the AWS SDK, jose…) stay loaded: they hold no
 * configuration of their own, and loading them again for every file is what made a process per
 * file slow.
 */
vi.resetModules();
