import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNpmStart } from '../support/npm-start';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const kids = async (url: string) =>
  ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

describe('npm start', () => {
  it('serves discovery and the JWKS, and keeps its signing key across a restart', async () => {
    const first = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    let firstKids: string[];
    try {
      expect(first.output()).toContain('GET    /.well-known/openid-configuration');
      const discovery = (await (await fetch(`${first.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(first.url);
      firstKids = await kids(first.url);
      expect(firstKids).toHaveLength(1);
    } finally {
      await first.stop();
    }

    const second = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    try {
      expect(await kids(second.url)).toEqual(firstKids);
    } finally {
      await second.stop();
    }
  });
});
