import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DataFolderInUse, LOCK_FILE, lockDataFolder } from '../../local/data-folder-lock';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-lock-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the data folder lock', () => {
  it('refuses a second owner while the first runs, and frees the folder on release', () => {
    const release = lockDataFolder(dataDir);
    // This test process plays the other owner: it is running, with another pid.
    expect(() => lockDataFolder(dataDir, process.pid + 1)).toThrow(DataFolderInUse);
    release();
    const releaseNext = lockDataFolder(dataDir, process.pid);
    releaseNext();
  });

  it('takes over the lock of a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dataDir, LOCK_FILE), `${gone.stdout}\n`);
    const release = lockDataFolder(dataDir);
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
  });

  // `kill -9` leaves a zombie until the parent reaps it, and `kill(pid, 0)` succeeds on a zombie.
  // Here the parent never reaps: the shell backgrounds a child and then becomes `sleep`, which never
  // waits, as a process in a container without an init would.
  it.runIf(process.platform === 'linux')('takes over the lock of a process killed with kill -9 that nothing has reaped', async () => {
    const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()))));
      writeFileSync(join(dataDir, LOCK_FILE), `${pid}\n`);
      expect(() => lockDataFolder(dataDir)).toThrow(DataFolderInUse);
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(() => expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /));
      expect(() => process.kill(pid, 0)).not.toThrow(); // still in the process table
      const release = lockDataFolder(dataDir);
      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
