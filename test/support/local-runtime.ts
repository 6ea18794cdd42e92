import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

/**
 * Starts a fresh local Latchkey on a free port with its own data folder, for one test file.
 * Returns the runtime and a `stop` that closes it and removes the folder. `options` may choose e.g.
 * the signing mode (default: envelope, as the local runtime).
 *
 * API Gateway's route throttles are off unless `options.apiGateway` says otherwise: tests fire
 * requests faster than any client should, and the throttles have their own tests
 * (api-gateway-emulation.test.ts). `npm start` keeps them on.
 */
export async function startTestRuntime(
  dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-')),
  options: Partial<Omit<LocalRuntimeOptions, 'dataDir' | 'port'>> = {},
): Promise<LocalRuntime & { dataDir: string; stop(): Promise<void> }> {
  const runtime = await startLocalRuntime({ apiGateway: { throttleOf: () => undefined }, ...options, dataDir, port: 0 });
  return {
    ...runtime,
    dataDir,
    async stop() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
