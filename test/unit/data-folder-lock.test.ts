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
  // waits, as a process in a container without an init would. The child is killed only once the
  // shell has become `sleep`: the shell itself reaps its background jobs, so a child killed between
  // `echo` and `exec` (a busy machine can hold the shell there) would be gone instead of a zombie.
  it.runIf(process.platform === 'linux')('takes over the lock of a process killed with kill -9 that nothing has reaped', async () => {
    const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()))));
      writeFileSync(join(dataDir, LOCK_FILE), `${pid}\n`);
      expect(() => lockDataFolder(dataDir)).toThrow(DataFolderInUse);
      await vi.waitFor(() => expect(readFileSync(`/proc/${parent.pid}/comm`, 'utf8')).toBe('sleep\n'), { timeout: 10_000 });
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(() => expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /));
      expect(() => process.kill(pid, 0)).not.toThrow(); // still in the process table
      // ...as the child of the `sleep` that never waits ("pid (comm) state ppid ...").
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]).toBe(String(parent.pid));
      const release = lockDataFolder(dataDir);
      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
