import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

/**
 * Starts a fresh local Latchkey on a free port with its own data folder, for one test file.
 * Returns the runtime and a `stop` that closes it and removes the folder. `options` may choose e.g.
 * the signing mode (default: envelope, as the local runtime).
 */
export async function startTestRuntime(
  dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-')),
  options: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> = {},
): Promise<LocalRuntime & { dataDir: string; stop(): Promise<void> }> {
  const runtime = await startLocalRuntime({ ...options, dataDir, port: 0 });
  return {
    ...runtime,
    dataDir,
    async stop() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
