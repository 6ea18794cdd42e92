import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { runNpmStart } from '../support/npm-start';

/**
 * The README's five-line tour, run as written (with bash, curl and Node.js, which the README says is
 * all it needs) against `npm start`: only the credentials it says to paste and the port are filled in.
 */
const tools = ['bash', 'curl'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-tour-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function tourLines(): string[] {
  const readme = readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Five-line tour'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.trim().split('\n');
}

describe.skipIf(!tools)("the README's tour", () => {
  it('has five lines, and each works against npm start as written', async () => {
    const lines = tourLines();
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^export CLIENT_ID='sa_…@env_…' CLIENT_SECRET='lks_…'/);
    expect(lines.join('\n')).not.toMatch(/\bjq\b/);

    const started = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    try {
      const clientId = /client ID\s+(\S+)/.exec(started.output())![1]!;
      const clientSecret = /client secret\s+(\S+)/.exec(started.output())![1]!;
      const host = new URL(started.url).host;
      // Each command's output on its own line, so each can be checked.
      const script = [`export CLIENT_ID='${clientId}' CLIENT_SECRET='${clientSecret}'`, ...lines.slice(1).map((line) => `${line.replaceAll('localhost:4000', host)}; echo`)].join(
        '\n',
      );
      const output = execFileSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8' }).trim().split('\n');
      expect(output).toHaveLength(3);
      const [created, listed, discovery] = output.map((line) => JSON.parse(line));
      expect(created).toMatchObject({ name: 'orders-worker', clientId: expect.stringMatching(/^sa_/), clientSecret: expect.stringMatching(/^lks_/) });
      expect(JSON.stringify(listed)).toContain(created.clientId);
      expect(discovery).toMatchObject({ issuer: started.url, token_endpoint: `${started.url}/oauth/v2/token` });
    } finally {
      await started.stop();
    }
  });
});
