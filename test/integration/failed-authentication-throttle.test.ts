import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../src/config';
import { DEFAULT_THROTTLE_POLICY } from '../../src/domain/authentication-throttle';
import { VIEWER_ADDRESS_HEADER } from '../../src/http/request';
import { adminToken, api, createServiceAccount } from '../support/http';
import { postFrom, tokenFrom } from '../support/from-address';
import { startTestRuntime } from '../support/local-runtime';

const LIMIT = DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress;
const UPDATE_ITEM = 'DynamoDB_20120810.UpdateItem';

/**
 * Abuse limits on client authentication, over HTTP: repeated failures from one address are refused
 * with 429 and `Retry-After` before anything is evaluated, the real client keeps working from
 * another address and pays for the throttle only while its ID is being guessed at, and the audience
 * of a token request is read only after authentication.
 */
describe('failed client authentication throttle', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    // Only Date is faked, and it advances in real time: the clock runs as usual, except when a test moves it on.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    expect((await admin.post('/v1/resources', { key: 'orders', permissions: ['orders.read'] })).status).toBe(201);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await runtime?.stop();
  });

  const newAccount = () => createServiceAccount(admin, { name: `throttled ${Math.random()}` }, [{ resource: 'orders', permissions: ['orders.read'] }]);

  /**
   * Counting windows are fixed (a minute each): a test that makes its attempts across a window's end
   * would see the count start again. The clock, which the handlers share with the test in this
   * process, jumps to the start of the next window and runs on from there.
   */
  const freshWindow = () => {
    const windowMs = DEFAULT_THROTTLE_POLICY.windowSeconds * 1000;
    vi.setSystemTime((Math.floor(Date.now() / windowMs) + 1) * windowMs);
  };

  const expectThrottled = (answer: { status: number; headers: Record<string, unknown>; body: any }) => {
    expect(answer.status).toBe(429);
    const retryAfter = Number(answer.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(DEFAULT_THROTTLE_POLICY.windowSeconds);
  };

  it('refuses the token endpoint with 429 after the limit from one address, evaluating nothing, while the real client gets tokens from another', async () => {
    const account = await newAccount();
    freshWindow();
    const wrong = { clientId: account.clientId, clientSecret: `${account.clientSecret}x` };
    for (let i = 0; i < LIMIT; i++) {
      const answer = await tokenFrom('127.0.0.2', runtime.url, wrong);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
    const refused = await tokenFrom('127.0.0.2', runtime.url, wrong);
    expectThrottled(refused);
    expect(refused.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringContaining('too many failed authentication attempts') });
    // Even the right secret is not evaluated from the limited address: the attacker learns nothing.
    expectThrottled(await tokenFrom('127.0.0.2', runtime.url, account));

    const real = await tokenFrom('127.0.0.3', runtime.url, account);
    expect(real.status).toBe(200);
    expect(typeof real.body.access_token).toBe('string');
  });

  it('shares the count with introspection and revocation, which refuse the limited address too', async () => {
    const account = await newAccount();
    freshWindow();
    const wrong = { clientId: account.clientId, clientSecret: 'lks_wrong' };
    for (let i = 0; i < LIMIT; i++) {
      const path = i % 2 === 0 ? '/oauth/v2/introspect' : '/oauth/v2/revoke';
      expect((await tokenFrom('127.0.0.4', runtime.url, wrong, { token: 'abc' }, path)).status).toBe(401);
    }
    expectThrottled(await tokenFrom('127.0.0.4', runtime.url, account, { token: 'abc' }, '/oauth/v2/introspect'));
    expectThrottled(await tokenFrom('127.0.0.4', runtime.url, account, { token: 'abc' }, '/oauth/v2/revoke'));
    expectThrottled(await tokenFrom('127.0.0.4', runtime.url, wrong));
    const fromElsewhere = await tokenFrom('127.0.0.5', runtime.url, account, { token: 'abc' }, '/oauth/v2/introspect');
    expect(fromElsewhere.status).toBe(200);
    expect(fromElsewhere.body).toEqual({ active: false });
  });

  it('refuses GraphQL authenticateServiceAccount with HTTP 429 and TOO_MANY_REQUESTS after the limit', async () => {
    const account = await newAccount();
    const graphql = (localAddress: string, clientSecret: string) =>
      postFrom(
        localAddress,
        `${runtime.url}/graphql`,
        JSON.stringify({
          query: 'mutation($input: AuthenticateServiceAccountInput!) { authenticateServiceAccount(input: $input) { accessToken } }',
          variables: { input: { clientId: account.clientId, clientSecret } },
        }),
        { 'content-type': 'application/json' },
      );
    freshWindow();
    for (let i = 0; i < LIMIT; i++) {
      const answer = await graphql('127.0.0.6', 'lks_wrong');
      expect(answer.body.errors[0].extensions.code).toBe('INVALID_CLIENT_ID_SECRET');
    }
    const refused = await graphql('127.0.0.6', account.clientSecret);
    expectThrottled(refused);
    expect(refused.body.errors[0].extensions.code).toBe('TOO_MANY_REQUESTS');
    const real = await graphql('127.0.0.7', account.clientSecret);
    expect(real.status).toBe(200);
    expect(typeof real.body.data.authenticateServiceAccount.accessToken).toBe('string');
  });

  it('does not count successes: the real client asks for many tokens from one address, and none makes a write', async () => {
    const account = await newAccount();
    const before = runtime.awsCalls();
    for (let i = 0; i < LIMIT * 2; i++) expect((await tokenFrom('127.0.0.8', runtime.url, account)).status).toBe(200);
    const after = runtime.awsCalls();
    const made = (target: string) => (after[target] ?? 0) - (before[target] ?? 0);
    for (const write of ['UpdateItem', 'PutItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']) expect(made(`DynamoDB_20120810.${write}`)).toBe(0);
  });

  it('once a client has failed, counts its attempts first from every address: the right secret costs a count, an uncount and the record of its address', async () => {
    const account = await newAccount();
    freshWindow();
    expect((await tokenFrom('127.0.0.11', runtime.url, { clientId: account.clientId, clientSecret: 'lks_wrong' })).status).toBe(401);
    const before = runtime.awsCalls()[UPDATE_ITEM] ?? 0;
    expect((await tokenFrom('127.0.0.12', runtime.url, account)).status).toBe(200);
    expect((runtime.awsCalls()[UPDATE_ITEM] ?? 0) - before).toBe(3);
    // The mark is not part of the account as the management API shows it.
    const shown = await admin.get(`/v1/service-accounts/${account.id}`);
    expect(shown.status).toBe(200);
    expect(Object.keys(shown.body)).not.toContain('lastFailedAuthenticationAt');
  });

  it('treats a registry client alike: after a failure its attempts are counted first, and the mark stays out of its view', async () => {
    const app = (await admin.post('/v1/applications', { name: `throttled app ${Math.random()}` })).body as { id: string };
    const created = await admin.post(`/v1/applications/${app.id}/clients`, { name: 'Machine' });
    expect(created.status).toBe(201);
    const client = { clientId: created.body.clientId as string, clientSecret: created.body.clientSecret as string };
    freshWindow();
    let before = runtime.awsCalls()[UPDATE_ITEM] ?? 0;
    expect((await tokenFrom('127.0.0.13', runtime.url, client)).status).toBe(200);
    expect((runtime.awsCalls()[UPDATE_ITEM] ?? 0) - before).toBe(0);
    expect((await tokenFrom('127.0.0.13', runtime.url, { ...client, clientSecret: 'lks_wrong' })).status).toBe(401);
    before = runtime.awsCalls()[UPDATE_ITEM] ?? 0;
    expect((await tokenFrom('127.0.0.14', runtime.url, client)).status).toBe(200);
    expect((runtime.awsCalls()[UPDATE_ITEM] ?? 0) - before).toBe(3);
    const shown = await admin.get(`/v1/applications/${app.id}/clients/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(Object.keys(shown.body)).not.toContain('lastFailedAuthenticationAt');
  });

  it('cannot be turned against the real client: while an attacker keeps the failures of its ID at the limit, one typo from the real client does not lock it out', async () => {
    const account = await newAccount();
    const wrong = { clientId: account.clientId, clientSecret: 'lks_wrong' };
    const attackers = Array.from({ length: DEFAULT_THROTTLE_POLICY.maxFailuresPerClient / LIMIT }, (_, i) => `127.0.1.${i + 1}`);
    freshWindow();
    // The attack begins; the real client, from its own address, gets a token meanwhile.
    expect((await tokenFrom(attackers[0]!, runtime.url, wrong)).status).toBe(401);
    expect((await tokenFrom('127.0.2.1', runtime.url, account)).status).toBe(200);
    // The attacker spends every address's budget: the client ID is at its limit across addresses.
    await Promise.all(
      attackers.map(async (address, index) => {
        for (let i = index === 0 ? 1 : 0; i < LIMIT; i++) expect((await tokenFrom(address, runtime.url, wrong)).status).toBe(401);
      }),
    );
    expectThrottled(await tokenFrom(attackers[0]!, runtime.url, wrong));
    // A new address of the attacker's gets one evaluation, then 429, even with the right secret.
    expect((await tokenFrom('127.0.1.200', runtime.url, wrong)).status).toBe(401);
    expectThrottled(await tokenFrom('127.0.1.200', runtime.url, account));

    // The real client's typo (or old secret) is a 401, and its next request with the right secret a token.
    expect((await tokenFrom('127.0.2.1', runtime.url, { ...account, clientSecret: `${account.clientSecret}x` })).status).toBe(401);
    const real = await tokenFrom('127.0.2.1', runtime.url, account);
    expect(real.status).toBe(200);
    expect(typeof real.body.access_token).toBe('string');
  });

  describe('behind CloudFront (apiWaf=true), where every request comes from an edge server', () => {
    // One loopback address plays the edge server that attacker and real client both reach the API through.
    const EDGE = '127.0.3.1';
    const viaEdge = (viewer: string, credentials: { clientId: string; clientSecret: string }) =>
      tokenFrom(EDGE, runtime.url, credentials, {}, '/oauth/v2/token', { [VIEWER_ADDRESS_HEADER]: viewer });

    it('counts by the viewer address CloudFront reports: the attacker’s failures do not lock out the real client, and the audit log names the attacker', async () => {
      vi.stubEnv(ENV.behindCloudFront, 'true');
      try {
        const account = await newAccount();
        const wrong = { clientId: account.clientId, clientSecret: `${account.clientSecret}x` };
        freshWindow();
        for (let i = 0; i < LIMIT; i++) expect((await viaEdge('198.51.100.7:40001', wrong)).status).toBe(401);
        expectThrottled(await viaEdge('198.51.100.7:40002', account));
        // The real client, through the same edge server, from its own address (IPv6: no brackets, port after the last colon).
        const real = await viaEdge('2001:db8::5:443', account);
        expect(real.status).toBe(200);
        expect(typeof real.body.access_token).toBe('string');

        const failures = await admin.get(`/v1/audit-events?targetId=${account.id}&action=service_account.authentication_failed`);
        expect(failures.status).toBe(200);
        expect(failures.body.items).toHaveLength(LIMIT);
        for (const event of failures.body.items) expect(event.sourceIp).toBe('198.51.100.7');
      } finally {
        vi.unstubAllEnvs();
      }
    });

    it('believes no viewer address header without CloudFront in front: a client that writes one is counted by the address it called from', async () => {
      const account = await newAccount();
      const wrong = { clientId: account.clientId, clientSecret: 'lks_wrong' };
      freshWindow();
      for (let i = 0; i < LIMIT; i++) expect((await viaEdge(`198.51.100.${i + 1}:40001`, wrong)).status).toBe(401);
      expectThrottled(await viaEdge('203.0.113.9:443', account));
      const [latest] = (await admin.get(`/v1/audit-events?targetId=${account.id}&limit=1`)).body.items;
      expect(latest.sourceIp).toBe(EDGE);
    });
  });

  describe('resource parameters', () => {
    const many = Array.from({ length: 11 }, (_, i) => `https://api${i}.example.com`);

    it('caps them at 10 per request with invalid_target', async () => {
      const account = await newAccount();
      const answer = await tokenFrom('127.0.0.9', runtime.url, account, { resource: many });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_target', error_description: 'at most 10 resource parameters are allowed in one request, not 11' });
      expect((await tokenFrom('127.0.0.9', runtime.url, account, { resource: Array(10).fill('orders') })).status).toBe(200);
    });

    it('refuses a resource or an audience scope too long for a key with a 400, not a 500', async () => {
      const account = await newAccount();
      const longResource = await tokenFrom('127.0.0.9', runtime.url, account, { resource: `https://example.com/${'a'.repeat(1100)}` });
      expect(longResource.status).toBe(400);
      expect(longResource.body).toEqual({ error: 'invalid_target', error_description: 'a resource must be at most 480 bytes' });
      const longScope = await tokenFrom('127.0.0.9', runtime.url, account, { scope: `urn:zitadel:iam:org:project:id:${'k'.repeat(2000)}:aud` });
      expect(longScope.status).toBe(400);
      expect(longScope.body.error).toBe('invalid_scope');
      const manyScopes = Array.from({ length: 11 }, (_, i) => `urn:zitadel:iam:org:project:id:r${i}:aud`).join(' ');
      expect((await tokenFrom('127.0.0.9', runtime.url, account, { scope: manyScopes })).body.error).toBe('invalid_scope');
    });

    it('authenticates the client before it reads them: a wrong secret gets invalid_client, whatever they are', async () => {
      const account = await newAccount();
      const wrong = { clientId: account.clientId, clientSecret: 'lks_wrong' };
      const forms: Record<string, string | string[]>[] = [{ resource: many }, { resource: 'r'.repeat(2000) }, { scope: `urn:zitadel:iam:org:project:id:${'k'.repeat(2000)}:aud` }];
      for (const form of forms) {
        const answer = await tokenFrom('127.0.0.10', runtime.url, wrong, form);
        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe('invalid_client');
      }
    });
  });
});
