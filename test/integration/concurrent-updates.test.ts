import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationStore, webhookVault } from '../../src/adapters/from-environment';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * No lost updates: concurrent read-modify-writes of one record are serialised by conditional writes
 * on its version. Every secret answered with 200 is one committed link of a chain of resets, and
 * works until the next link replaces it.
 */
describe('concurrent updates over HTTP', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
  });
  afterAll(() => runtime?.stop());

  const createAccount = async (name: string) => {
    const created = await admin.post('/v1/service-accounts', { name });
    expect(created.status).toBe(201);
    return created.body as Credentials & { id: string; version: number };
  };

  /** Ten resets at once; answers the 200s by the version they committed, and the account's version before and after. */
  const tenResetsAtOnce = async (account: { id: string }, body: object) => {
    const before = (await admin.get(`/v1/service-accounts/${account.id}`)).body.version as number;
    const answers = await Promise.all(Array.from({ length: 10 }, () => admin.post(`/v1/service-accounts/${account.id}/secret`, body)));
    for (const answer of answers.filter((a) => a.status !== 200)) {
      // A reset that lost every retry says so and wrote nothing.
      expect(answer.status).toBe(409);
      expect(answer.body.detail).toContain('changed concurrently; retry');
    }
    const succeeded = answers.filter((answer) => answer.status === 200).map((answer) => answer.body as { version: number; clientSecret: string });
    const after = (await admin.get(`/v1/service-accounts/${account.id}`)).body.version as number;
    return { before, after, chain: succeeded.sort((a, b) => a.version - b.version) };
  };

  const works = async (account: Credentials, clientSecret: string) => (await requestToken(runtime.url, { clientId: account.clientId, clientSecret })).status === 200;

  it('answers 200 only for resets that committed, one version each, and only the last secret works', async () => {
    const account = await createAccount('raced');
    const { before, after, chain } = await tenResetsAtOnce(account, {});
    expect(chain.length).toBeGreaterThan(0);
    // Each 200 is its own committed write: consecutive versions, none shared, none missing.
    expect(chain.map((link) => link.version)).toEqual(Array.from({ length: chain.length }, (_, index) => before + 1 + index));
    expect(after).toBe(before + chain.length);
    // The last link works; every earlier one was replaced by a later reset, never lost to a concurrent one.
    for (const link of chain) expect(await works(account, link.clientSecret)).toBe(link.version === after);
    expect(await works(account, account.clientSecret)).toBe(false);
  });

  it('rotates out exactly the secret each reset replaced, as the grace period shows', async () => {
    const account = await createAccount('raced-with-grace');
    const { after, chain } = await tenResetsAtOnce(account, { gracePeriodSeconds: 300 });
    expect(chain.length).toBeGreaterThan(1);
    expect(chain.at(-1)!.version).toBe(after);
    // Current and previous: the last two links of the chain, and nothing else.
    const working = [];
    for (const link of chain) if (await works(account, link.clientSecret)) working.push(link.version);
    expect(working).toEqual([after - 1, after]);
  });

  it("commits every permission change that answered 200 as its own write, and keeps one request's grants whole", async () => {
    expect((await admin.post('/v1/resources', { key: 'ledger', permissions: ['a', 'b', 'c', 'd'] })).status).toBe(201);
    const account = await createAccount('raced-grants');
    const requests = [['a'], ['b', 'c'], ['d'], ['a', 'b', 'c', 'd'], ['c']];
    const answers = await Promise.all(
      requests.map((permissions) => admin.put(`/v1/service-accounts/${account.id}/permissions`, { grants: [{ resource: 'ledger', permissions }] })),
    );
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    const final = (await admin.get(`/v1/service-accounts/${account.id}`)).body;
    expect(final.version).toBe(1 + answers.filter((answer) => answer.status === 200).length);
    expect(requests).toContainEqual(final.grants.ledger);
  });

  it('keeps the chain of concurrent OIDC client secret rotations: with a grace period, the last two answered secrets work', async () => {
    const application = (await admin.post('/v1/applications', { name: 'Raced shop' })).body.id as string;
    const client = (await admin.post(`/v1/applications/${application}/clients`, { name: 'Backend' })).body as Credentials & { id: string };
    const answers = await Promise.all(Array.from({ length: 10 }, () => admin.post(`/v1/applications/${application}/clients/${client.id}/secret`, { gracePeriodSeconds: 300 })));
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    const secrets = answers.filter((answer) => answer.status === 200).map((answer) => answer.body.clientSecret as string);
    expect(secrets.length).toBeGreaterThan(1);
    const working = [];
    for (const secret of secrets) if (await works(client, secret)) working.push(secret);
    // Each rotation kept the secret it replaced as the previous one: the last two links of one chain.
    expect(working).toHaveLength(2);
    expect(await works(client, client.clientSecret)).toBe(secrets.length === 1);
  });

  it('answers each concurrent webhook secret generation with its own committed version, and signs with the last', async () => {
    const app = (await admin.post('/v1/applications', { name: 'raced webhook secret' })).body as { id: string; environmentId: string };
    const answers = await Promise.all(Array.from({ length: 6 }, () => admin.post(`/v1/applications/${app.id}/webhook-secret`)));
    for (const answer of answers.filter((a) => a.status !== 200)) expect(answer.status).toBe(409);
    const chain = answers
      .filter((answer) => answer.status === 200)
      .map((answer) => answer.body as { version: number; webhookSecret: string })
      .sort((a, b) => a.version - b.version);
    expect(chain.length).toBeGreaterThan(0);
    expect(new Set(chain.map((link) => link.version)).size).toBe(chain.length);
    // What Latchkey signs webhook requests with is the secret of the last committed generation.
    const stored = await applicationStore().getApplication(app.environmentId, app.id);
    expect(stored?.version).toBe(chain.at(-1)!.version);
    expect(await webhookVault().read(stored!.webhookSecret!)).toBe(chain.at(-1)!.webhookSecret);
  });
});
