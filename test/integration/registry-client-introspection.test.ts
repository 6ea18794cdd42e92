import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Registry clients (`cl_…`) authenticate at introspection and revocation exactly as at the token
 * endpoint: here with a client secret and with a `private_key_jwt` assertion.
 */
describe('introspection and revocation by OIDC clients', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let secretClient: { clientId: string; clientSecret: string };
  let keyClient: { clientId: string };
  let privateKey: CryptoKey;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    const admin = api(runtime.url, await adminToken(runtime));
    const appId = (await admin.post('/v1/applications', { name: 'Shop' })).body.id;
    secretClient = (await admin.post(`/v1/applications/${appId}/clients`, { name: 'Secret client', authMethod: 'client_secret_post' })).body;
    const keys = await generateKeyPair('ES256');
    privateKey = keys.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const created = await admin.post(`/v1/applications/${appId}/clients`, { name: 'Key client', authMethod: 'private_key_jwt', jwks: { keys: [jwk] } });
    expect(created.status).toBe(201);
    keyClient = created.body;
  });
  afterAll(() => runtime?.stop());

  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  const assertion = (audience: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(keyClient.clientId)
      .setSubject(keyClient.clientId)
      .setAudience(audience)
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(privateKey);
  const asKeyClient = async () => ({
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(runtime.url),
  });

  it('introspects and revokes its own token with a client secret', async () => {
    const issued = (await (
      await post('/oauth/v2/token', { grant_type: 'client_credentials', client_id: secretClient.clientId, client_secret: secretClient.clientSecret })
    ).json()) as { access_token: string };
    const credentials = { client_id: secretClient.clientId, client_secret: secretClient.clientSecret };
    const active = (await (await post('/oauth/v2/introspect', { ...credentials, token: issued.access_token })).json()) as Record<string, unknown>;
    expect(active).toMatchObject({ active: true, client_id: secretClient.clientId, subjectType: 'Client' });
    expect((await post('/oauth/v2/revoke', { ...credentials, token: issued.access_token })).status).toBe(200);
    expect(await (await post('/oauth/v2/introspect', { ...credentials, token: issued.access_token })).json()).toEqual({ active: false });
  });

  it('introspects with a private_key_jwt assertion, which cannot be replayed', async () => {
    const issued = (await (await post('/oauth/v2/token', { grant_type: 'client_credentials', ...(await asKeyClient()) })).json()) as { access_token: string };
    expect(typeof issued.access_token).toBe('string');
    const authentication = await asKeyClient();
    const first = await post('/oauth/v2/introspect', { ...authentication, token: issued.access_token });
    expect(await first.json()).toMatchObject({ active: true, client_id: keyClient.clientId });
    const replay = await post('/oauth/v2/introspect', { ...authentication, token: issued.access_token });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('may not revoke a token issued to someone else', async () => {
    const admins = await adminToken(runtime);
    const refused = await post('/oauth/v2/revoke', { ...(await asKeyClient()), token: admins });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized_client' });
  });
});
