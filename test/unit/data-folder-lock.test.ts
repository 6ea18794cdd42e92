import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
});
