import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/data-folder-lock';
import { runNpmStart } from '../support/npm-start';

/** What a developer sees when `npm start` cannot start: one line that says why, no stack trace. */
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-conflicts-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The error output of an `npm start` expected to fail, without the "exited with" line the helper adds. */
async function failureOf(env: Record<string, string>): Promise<string> {
  const error = await runNpmStart(env).then(
    async (started) => {
      await started.stop();
      throw new Error(`npm start started at ${started.url}`);
    },
    (failure: Error) => failure.message,
  );
  return error.replace(/^npm start exited with \d+:\n/, '').trim();
}

describe('npm start', () => {
  it('refuses a second start on the same data folder in one line, and starts again once the first has stopped', async () => {
    const first = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    try {
      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toMatch(/^\d+$/);
      const second = await failureOf({ LATCHKEY_DATA_DIR: dataDir });
      expect(second.split('\n')).toHaveLength(1);
      expect(second).toMatch(/^npm start: the data folder .+ is in use by another npm start \(pid \d+\); stop it, or set LATCHKEY_DATA_DIR to another folder$/);
    } finally {
      await first.stop();
    }
    const again = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    await again.stop();
  });

  it('explains a busy port in one line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failure = await failureOf({ LATCHKEY_DATA_DIR: join(dataDir, 'busy-port'), PORT: String(port) });
      expect(failure.split('\n')).toHaveLength(1);
      expect(failure).toBe(`npm start: port ${port} is already in use (another npm start, or another program); free it or choose another port (PORT=...)`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
