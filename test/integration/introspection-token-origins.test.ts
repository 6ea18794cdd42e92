import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Introspection (RFC 7662) of tokens whose origin is gone, through HTTP with oauth4webapi as a
 * resource server would ask: a token of a deleted OIDC client or of a deleted application, and an
 * end-user token while the IDP connection its user came through is disabled or deleted, is
 * `active: false` at once, though its signature and lifetime are still good.
 */
describe('introspection of tokens whose origin is gone', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let vouching: ReturnType<typeof api>;
  let connectionId: string;

  /** Introspects with the development administrator's credentials; answers the parsed body. */
  const introspect = async (token: string) => {
    const as: oauth.AuthorizationServer = { issuer: runtime.url, introspection_endpoint: `${runtime.url}/oauth/v2/introspect` };
    const client: oauth.Client = { client_id: runtime.devAdmin.clientId };
    const options = { [oauth.allowInsecureRequests]: true };
    const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(runtime.devAdmin.clientSecret), token, options);
    return oauth.processIntrospectionResponse(as, client, response);
  };

  const newApplication = async (name: string) => {
    const created = await admin.post('/v1/applications', { name });
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  const clientToken = async (applicationId: string) => {
    const created = await admin.post(`/v1/applications/${applicationId}/clients`, { name: 'Backend' });
    expect(created.status).toBe(201);
    const answer = await requestToken(runtime.url, created.body as Credentials);
    expect(answer.status).toBe(200);
    return { id: created.body.id as string, token: answer.body.access_token as string };
  };

  const endUserToken = async (applicationId: string) => {
    expect((await admin.patch(`/v1/idp-connections/${connectionId}`, { applicationIds: [applicationId] })).status).toBe(200);
    const answer = await vouching.post('/v1/delegated-access-tokens', { applicationId, subjectId: `sub-${applicationId}` });
    expect(answer.status).toBe(200);
    return answer.body.accessToken as string;
  };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    const account = await admin.post('/v1/service-accounts', { name: 'vouching' });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
    vouching = api(runtime.url, await adminToken(runtime, account.body));
    connectionId = (await admin.post('/v1/idp-connections', { type: 'delegated' })).body.id;
  });
  afterAll(() => runtime?.stop());

  it('answers inactive for the token of a deleted OIDC client', async () => {
    const applicationId = await newApplication('Orders');
    const { id, token } = await clientToken(applicationId);
    expect(await introspect(token)).toMatchObject({ active: true, subjectType: 'Client', applicationId });
    expect((await admin.delete(`/v1/applications/${applicationId}/clients/${id}`)).status).toBe(204);
    expect(await introspect(token)).toEqual({ active: false });
  });

  it('answers inactive for client and end-user tokens of a deleted application', async () => {
    const applicationId = await newApplication('Billing');
    const client = await clientToken(applicationId);
    const endUser = await endUserToken(applicationId);
    expect(await introspect(client.token)).toMatchObject({ active: true });
    expect(await introspect(endUser)).toMatchObject({ active: true, subjectType: 'EndUserAccount', applicationId });
    expect((await admin.delete(`/v1/applications/${applicationId}`)).status).toBe(204);
    expect(await introspect(client.token)).toEqual({ active: false });
    expect(await introspect(endUser)).toEqual({ active: false });
  });

  it('answers inactive for end-user tokens once their IDP connection is disabled (enabled again too), and after it is deleted', async () => {
    const applicationId = await newApplication('Portal');
    const before = await endUserToken(applicationId);
    expect(await introspect(before)).toMatchObject({ active: true });

    expect((await admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: false })).status).toBe(200);
    expect(await introspect(before)).toEqual({ active: false });
    expect((await admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: true })).status).toBe(200);
    expect(await introspect(before)).toEqual({ active: false });
    const token = await endUserToken(applicationId);
    expect(await introspect(token)).toMatchObject({ active: true });

    expect((await admin.delete(`/v1/idp-connections/${connectionId}`)).status).toBe(204);
    expect(await introspect(token)).toEqual({ active: false });
    // A new connection of the same type is not the one that vouched for this user.
    connectionId = (await admin.post('/v1/idp-connections', { type: 'delegated', applicationIds: [applicationId] })).body.id;
    expect(await introspect(token)).toEqual({ active: false });
  });
});
