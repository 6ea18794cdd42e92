import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/** Everything the handlers log while secrets and tokens fly past: none of them may appear. */
describe('logs', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  const lines: string[] = [];

  beforeAll(async () => {
    // Handlers build their logger on first import, after this.
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    // Captured, not echoed: the debug-level log of a whole test would drown the test report.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.map(String).join(' ')));
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await runtime?.stop();
  });

  it('never carry a secret, a token or the pepper', async () => {
    const token = await adminToken(runtime);
    const admin = api(runtime.url, token);
    const account = await admin.post('/v1/service-accounts', { name: 'logged' });
    const reset = await admin.post(`/v1/service-accounts/${account.body.id}/secret`, {});
    await requestToken(runtime.url, { clientId: account.body.clientId, clientSecret: account.body.clientSecret });
    const issued = await requestToken(runtime.url, { clientId: account.body.clientId, clientSecret: reset.body.clientSecret });
    await api(runtime.url, `${token}x`).get('/v1/service-accounts');
    await api(runtime.url, 'not-a-token').get('/v1/environment');

    const log = lines.join('\n');
    expect(log).toContain('request refused');
    const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as unknown;
    const pepper = JSON.stringify(secrets).match(/[A-Za-z0-9]{64}/)?.[0];
    for (const value of [token, account.body.clientSecret, reset.body.clientSecret, issued.body.access_token, runtime.devAdmin.clientSecret, pepper]) {
      expect(typeof value).toBe('string');
      expect(log).not.toContain(value as string);
      expect(log).not.toContain((value as string).slice(-20));
    }
  });
});
