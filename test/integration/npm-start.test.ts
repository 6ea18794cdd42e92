import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { runNpmStart } from '../support/npm-start';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const kids = async (url: string) => ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);

/** The credentials and the curl line the banner prints. */
function printedAdmin(output: string) {
  const clientId = /client ID\s+(\S+)/.exec(output)?.[1];
  const clientSecret = /client secret\s+(\S+)/.exec(output)?.[1];
  expect(clientId).toMatch(/^sa_[a-z2-7]{26}@env_[a-z2-7]{26}$/);
  expect(clientSecret).toMatch(/^lks_/);
  expect(output).toContain(`-u '${clientId}:${clientSecret}'`);
  return { clientId: clientId!, clientSecret: clientSecret! };
}

describe('npm start', () => {
  it('serves discovery, the JWKS and tokens, and keeps its key and data across a restart', async () => {
    const first = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    let firstKids: string[];
    let admin: ReturnType<typeof printedAdmin>;
    let created: string;
    try {
      expect(first.output()).toContain('GET    /.well-known/openid-configuration');
      const discovery = (await (await fetch(`${first.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).toBe(first.url);
      firstKids = await kids(first.url);
      // Envelope signing: the next and the current key generation, an ES256 and an RS256 key each.
      expect(firstKids).toHaveLength(4);
      admin = printedAdmin(first.output());
      const token = await adminToken({ url: first.url, devAdmin: admin });
      created = (await api(first.url, token).post('/v1/resources', { key: 'survives-restart' })).body.key;
      expect(created).toBe('survives-restart');
    } finally {
      await first.stop();
    }

    const second = await runNpmStart({ LATCHKEY_DATA_DIR: dataDir });
    try {
      expect(await kids(second.url)).toEqual(firstKids);
      expect(printedAdmin(second.output())).toEqual(admin);
      const token = await adminToken({ url: second.url, devAdmin: admin });
      expect((await api(second.url, token).get('/v1/resources/survives-restart')).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
