import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One `npm start` per data folder: two processes writing the same table files and key store would
 * corrupt them. The lock is a file holding the owner's pid; a lock whose process is gone (a crash,
 * `kill -9`, a zombie not yet reaped) is taken over.
 */

export const LOCK_FILE = 'latchkey.pid';

export class DataFolderInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the data folder ${dataDir} is in use by another npm start (pid ${pid}); stop it, or set LATCHKEY_DATA_DIR to another folder`);
    this.name = 'DataFolderInUse';
  }
}

/** Takes the lock or throws `DataFolderInUse`; returns the function that releases it. */
export function lockDataFolder(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: 'wx' });
      return () => {
        if (ownerOf(file) === pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(file);
    if (owner !== undefined && owner !== pid && isRunning(owner)) throw new DataFolderInUse(dataDir, owner);
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`could not lock the data folder ${dataDir}`);
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !hasExited(pid);
}

/**
 * A process killed with `kill -9` stays in the process table as a zombie until its parent reaps it,
 * and `kill(pid, 0)` still succeeds on it; where nothing reaps it (a parent that never waits, a
 * container without an init) it would hold the folder for good. Its state in `/proc` says it is
 * dead. Where there is no `/proc` (macOS), the signal check alone decides.
 */
function hasExited(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // No /proc on this system: the signal check alone decides. Gone since: it has exited.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat');
  }
  // "pid (command) state ...": the command may hold spaces and parentheses, so read after the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
