import { spawn, type ChildProcess } from 'node:child_process';
import { REPOSITORY_ROOT } from '../../local/runtime';

export interface StartedProcess {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs `npm start`'s program as its own process, exactly as a developer would (on a free port unless
 * told otherwise), and resolves once it prints its URL.
 */
export function runNpmStart(env: Record<string, string>, args: readonly string[] = []): Promise<StartedProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /running locally at (http:\/\/\S+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve({
          url: found[1]!,
          output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}
