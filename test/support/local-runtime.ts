import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevAdmin } from '../../local/dev-bootstrap';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';
import { pregeneratedRsaKeys } from './pregenerated-rsa-keys';

export type TestRuntime = LocalRuntime & { dataDir: string; stop(): Promise<void> };

/**
 * Set by the test project whose files share one local runtime per worker (vitest.config.ts): there,
 * `startTestRuntime()` without arguments answers that runtime instead of starting one.
 */
export const SHARED_RUNTIME_VARIABLE = 'LATCHKEY_TEST_SHARED_RUNTIME';

/**
 * Starts a fresh local Latchkey on a free port with its own data folder, for one test file.
 * Returns the runtime and a `stop` that closes it and removes the folder. `options` may choose e.g.
 * the signing mode (default: envelope, as the local runtime).
 *
 * API Gateway's route throttles are off unless `options.apiGateway` says otherwise: tests fire
 * requests faster than any client should, and the throttles have their own tests
 * (api-gateway-emulation.test.ts). `npm start` keeps them on.
 *
 * In the shared project, a call without arguments answers the worker's one runtime (started by the
 * first file, with the default options) with a development tenant, environment and administrator of
 * this file's own, made as a fresh runtime makes its own: what a file creates or lists in its
 * environment is its alone, and its clients are its own, so their failed-authentication counters
 * are too. `stop` then leaves the runtime to the worker's next file.
 */
export async function startTestRuntime(dataDir?: string, options: Partial<Omit<LocalRuntimeOptions, 'dataDir' | 'port'>> = {}): Promise<TestRuntime> {
  if (process.env[SHARED_RUNTIME_VARIABLE] === 'true') {
    // A second runtime would take over the environment the worker's handlers were configured from.
    if (dataDir !== undefined || Object.keys(options).length > 0) {
      throw new Error('a test file that starts its own runtime (own data folder or options) needs modules of its own: list it in `ownRuntime` in vitest.config.ts');
    }
    return sharedTestRuntime();
  }
  return startOwnRuntime(dataDir ?? mkdtempSync(join(tmpdir(), 'latchkey-test-')), options);
}

async function startOwnRuntime(dataDir: string, options: Partial<Omit<LocalRuntimeOptions, 'dataDir' | 'port'>>): Promise<TestRuntime> {
  // RSA keys made ahead of time, each at most once per process: fresh primes would cost seconds of CPU per run.
  const runtime = await startLocalRuntime({ apiGateway: { throttleOf: () => undefined }, pregeneratedRsaKeys, ...options, dataDir, port: 0 });
  return {
    ...runtime,
    dataDir,
    async stop() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Shared {
  readonly runtime: TestRuntime;
  /** The variables the runtime set, put back for each file (the shared setup restores the environment after each). */
  readonly environment: Readonly<Record<string, string | undefined>>;
  files: number;
}

/** On `globalThis`, so that it outlives any module the runner may evaluate again. */
const SHARED = Symbol.for('latchkey.test.sharedRuntime');
type WithShared = typeof globalThis & { [SHARED]?: Promise<Shared> };

async function sharedTestRuntime(): Promise<TestRuntime> {
  const holder = globalThis as WithShared;
  holder[SHARED] ??= startSharedRuntime();
  const shared = await holder[SHARED];
  for (const [name, value] of Object.entries(shared.environment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const fileDir = join(shared.runtime.dataDir, 'files', String(++shared.files));
  mkdirSync(fileDir, { recursive: true });
  const devAdmin = await ensureDevAdmin(fileDir);
  return { ...shared.runtime, devAdmin, stop: async () => undefined };
}

async function startSharedRuntime(): Promise<Shared> {
  const before = { ...process.env };
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-shared-'));
  const runtime = await startOwnRuntime(dataDir, {});
  const environment: Record<string, string | undefined> = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(process.env)])) {
    if (process.env[name] !== before[name]) environment[name] = process.env[name];
  }
  // The runner ends its workers with SIGTERM: the folder goes with the worker, which then ends as it would have.
  const removeFolder = () => rmSync(dataDir, { recursive: true, force: true });
  process.once('exit', removeFolder);
  process.once('SIGTERM', () => {
    removeFolder();
    process.kill(process.pid, 'SIGTERM');
  });
  return { runtime, environment, files: 0 };
}
