import fc from 'fast-check';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, requestToken, type Credentials } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { discover, logIn, oidc, setUpWorld, type Api, type Runtime, type World } from './interactive-login/setup';

/**
 * Everything given can be taken back, as a property over HTTP on the local runtime: random
 * sequences of issuing (service-account JWTs and opaque tokens, end-user logins through the code
 * flow), refreshing, revoking (RFC 7009), disabling and enabling service accounts, end users and
 * their IDP connection,
 * signing end users out everywhere (the user-management API, as a caller holding only USERS_EDIT)
 * and deleting OIDC clients. After every step, each token issued so far is accepted
 * (introspection; userinfo for end-user access tokens; the management API for service-account
 * JWTs) exactly when nothing since its issue took it back, and a disabled account or user gets no
 * new token, as the model below says.
 *
 * The model's one way of taking back is `takeBack(predicate)`; every token records what it was
 * issued to (account, client, user, family).
 */

const REDIRECT_URI = 'https://rp.example.com/callback';
const USERS = ['ana', 'ben'] as const;

type Kind = 'sa-jwt' | 'sa-opaque' | 'delegated' | 'access' | 'refresh';

interface Tracked {
  readonly kind: Kind;
  readonly value: string;
  /** The service account (index) or OIDC client (index) it was issued to. */
  readonly account?: number;
  readonly client?: number;
  readonly user?: (typeof USERS)[number];
  /** The family of an end user's tokens: everything issued from one login. */
  readonly family?: number;
  alive: boolean;
}

type Step =
  | { readonly op: 'issueServiceAccountToken'; readonly account: number }
  | { readonly op: 'logIn'; readonly client: number; readonly user: number }
  | { readonly op: 'refresh'; readonly pick: number }
  | { readonly op: 'revoke'; readonly pick: number }
  | { readonly op: 'disableServiceAccount'; readonly account: number }
  | { readonly op: 'enableServiceAccount'; readonly account: number }
  | { readonly op: 'deleteClient'; readonly client: number }
  | { readonly op: 'disableUser'; readonly user: number }
  | { readonly op: 'enableUser'; readonly user: number }
  | { readonly op: 'signOutEverywhere'; readonly user: number }
  | { readonly op: 'disableConnection' }
  | { readonly op: 'enableConnection' };

const index = fc.integer({ min: 0, max: 1 });
const pick = fc.nat({ max: 50 });
/** Issuing is weighted up, so most sequences have several tokens for the rest to take back. */
const operations = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('issueServiceAccountToken' as const), account: index }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('logIn' as const), client: index, user: index }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refresh' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('revoke' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disableServiceAccount' as const), account: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('enableServiceAccount' as const), account: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deleteClient' as const), client: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disableUser' as const), user: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('enableUser' as const), user: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('signOutEverywhere' as const), user: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('disableConnection' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('enableConnection' as const) }) },
);
const steps = fc.array(operations, { minLength: 3, maxLength: 7 });

describe('a token is accepted only while nothing has taken it back (HTTP, property)', () => {
  let runtime: Runtime;
  let world: World;
  let usersEditor: Api;
  let vouching: Api;
  let run = 0;
  /** The world's delegated IDP connection, every end user's; each run starts with it enabled. */
  let connectionId: string;
  let connectionDisabled = false;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    usersEditor = await world.accountWith(['USERS_EDIT']);
    vouching = await world.accountWith(['GENERATE_DELEGATED_ACCESS_TOKEN']);
    connectionId = ((await world.admin.get('/v1/idp-connections')).body.items as { id: string }[])[0]!.id;
  });
  afterAll(() => runtime?.stop());

  /** The development administrator asks, as oauth4webapi's resource server or client would; it may revoke any token of the environment. */
  const asAdministrator = () => ({
    server: { issuer: runtime.url, introspection_endpoint: `${runtime.url}/oauth/v2/introspect`, revocation_endpoint: `${runtime.url}/oauth/v2/revoke` },
    client: { client_id: runtime.devAdmin.clientId },
    auth: oauth.ClientSecretBasic(runtime.devAdmin.clientSecret),
    options: { [oauth.allowInsecureRequests]: true },
  });
  const introspectionActive = async (token: string) => {
    const { server, client, auth, options } = asAdministrator();
    return (await oauth.processIntrospectionResponse(server, client, await oauth.introspectionRequest(server, client, auth, token, options))).active;
  };
  const revoke = async (token: string) => {
    const { server, client, auth, options } = asAdministrator();
    await oauth.processRevocationResponse(await oauth.revocationRequest(server, client, auth, token, options));
  };
  const userinfoStatus = async (token: string) => (await fetch(`${runtime.url}/oauth/v2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;
  const managementStatus = async (token: string) => (await api(runtime.url, token).get('/v1/service-accounts?limit=1')).status;

  /** One run: two service accounts (JWT and opaque), two OIDC clients, and what they issued. */
  async function runSequence(sequence: readonly Step[]): Promise<void> {
    const tag = `taking-back-${++run}`;
    if (connectionDisabled) {
      expect((await world.admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: true })).status).toBe(200);
      connectionDisabled = false;
    }
    const accounts = await Promise.all(
      (['jwt', 'opaque'] as const).map(async (accessTokenType) => {
        const created = await world.admin.post('/v1/service-accounts', { name: `${tag} ${accessTokenType}`, accessTokenType });
        expect(created.status).toBe(201);
        const grants = [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }];
        expect((await world.admin.put(`/v1/service-accounts/${created.body.id}/permissions`, { grants })).status).toBe(200);
        return { ...(created.body as Credentials & { id: string }), accessTokenType, disabled: false };
      }),
    );
    const clients = await Promise.all(
      [0, 1].map(async () => {
        const created = await world.createClient({ redirectUris: [REDIRECT_URI], pkce: 'enforce' });
        return { ...created, config: await discover(runtime, created.clientId, created.clientSecret), deleted: false };
      }),
    );
    const tokens: Tracked[] = [];
    // Both end users exist from the start, each with a delegated token, so every step on a user acts on one.
    const users = await Promise.all(
      USERS.map(async (user) => {
        const delegated = await vouching.post('/v1/delegated-access-tokens', { applicationId: world.applicationId, subjectId: `${tag}-${user}` });
        expect(delegated.status).toBe(200);
        tokens.push({ kind: 'delegated', value: delegated.body.accessToken as string, user, alive: true });
        return { id: delegated.body.payload.sub as string, disabled: false };
      }),
    );
    let families = 0;
    const takeBack = (predicate: (token: Tracked) => boolean) => {
      for (const token of tokens) if (predicate(token)) token.alive = false;
    };

    for (const step of sequence) {
      switch (step.op) {
        case 'issueServiceAccountToken': {
          const account = accounts[step.account]!;
          const answer = await requestToken(runtime.url, account, account.accessTokenType === 'jwt' ? { resource: 'latchkey' } : {});
          if (account.disabled) {
            expect(answer.status).not.toBe(200);
            break;
          }
          expect(answer.status).toBe(200);
          tokens.push({ kind: account.accessTokenType === 'jwt' ? 'sa-jwt' : 'sa-opaque', value: answer.body.access_token as string, account: step.account, alive: true });
          break;
        }
        case 'logIn': {
          const client = clients[step.client]!;
          if (client.deleted) break;
          const user = USERS[step.user]!;
          const login = logIn(world, client.config, { redirectUri: REDIRECT_URI, subject: { subjectId: `${tag}-${user}` } });
          if (connectionDisabled) {
            await expect(login).rejects.toThrow('"code":"idp_connection_disabled"');
            break;
          }
          if (users[step.user]!.disabled) {
            // The application's backend is refused when it accepts the login.
            await expect(login).rejects.toThrow('"code":"user_disabled"');
            break;
          }
          const { tokens: issued } = await login;
          expect(issued.claims()!.sub).toBe(users[step.user]!.id);
          const family = ++families;
          tokens.push({ kind: 'access', value: issued.access_token, client: step.client, user, family, alive: true });
          tokens.push({ kind: 'refresh', value: issued.refresh_token!, client: step.client, user, family, alive: true });
          break;
        }
        case 'refresh': {
          const live = tokens.filter((token) => token.kind === 'refresh' && token.alive);
          if (live.length === 0) break;
          const token = live[step.pick % live.length]!;
          const refreshed = await oidc.refreshTokenGrant(clients[token.client!]!.config, token.value);
          token.alive = false;
          tokens.push({ ...token, kind: 'access', value: refreshed.access_token, alive: true });
          tokens.push({ ...token, kind: 'refresh', value: refreshed.refresh_token!, alive: true });
          break;
        }
        case 'revoke': {
          if (tokens.length === 0) break;
          const token = tokens[step.pick % tokens.length]!;
          await revoke(token.value);
          // A refresh token takes its whole family with it (RFC 7009 §2.1): every refresh and access token of the login.
          takeBack((other) => other === token || (token.kind === 'refresh' && other.family === token.family));
          break;
        }
        case 'disableServiceAccount':
        case 'enableServiceAccount': {
          const account = accounts[step.account]!;
          const disabled = step.op === 'disableServiceAccount';
          expect((await world.admin.patch(`/v1/service-accounts/${account.id}`, { disabled })).status).toBe(200);
          // Enabling again revives nothing.
          if (disabled) takeBack((token) => token.account === step.account);
          account.disabled = disabled;
          break;
        }
        case 'deleteClient': {
          const client = clients[step.client]!;
          if (client.deleted) break;
          expect((await world.admin.delete(`/v1/applications/${world.applicationId}/clients/${client.id}`)).status).toBe(204);
          client.deleted = true;
          takeBack((token) => token.client === step.client);
          break;
        }
        case 'disableUser':
        case 'enableUser': {
          const user = users[step.user]!;
          const disabled = step.op === 'disableUser';
          expect(await usersEditor.patch(`/v1/users/${user.id}`, { disabled })).toMatchObject({ status: 200, body: { disabled } });
          // Enabling again revives nothing.
          if (disabled) takeBack((token) => token.user === USERS[step.user]);
          user.disabled = disabled;
          break;
        }
        case 'disableConnection':
        case 'enableConnection': {
          const disabled = step.op === 'disableConnection';
          expect((await world.admin.patch(`/v1/idp-connections/${connectionId}`, { enabled: !disabled })).status).toBe(200);
          // Enabling again revives nothing.
          if (disabled) takeBack((token) => token.user !== undefined);
          connectionDisabled = disabled;
          break;
        }
        case 'signOutEverywhere': {
          const user = users[step.user]!;
          expect((await usersEditor.delete(`/v1/users/${user.id}/sessions`)).status).toBe(204);
          takeBack((token) => token.user === USERS[step.user]);
          break;
        }
      }
      for (const token of tokens) {
        const where = `${token.kind} after ${JSON.stringify(step)}`;
        expect(await introspectionActive(token.value), where).toBe(token.alive);
        if (token.kind === 'access') expect(await userinfoStatus(token.value), where).toBe(token.alive ? 200 : 401);
        if (token.kind === 'sa-jwt') expect(await managementStatus(token.value), where).toBe(token.alive ? 200 : 401);
      }
    }
  }

  it('after any sequence of issue, refresh, revoke, disable, enable (accounts, users, the IDP connection), sign-out everywhere and client deletion, accepts exactly the tokens nothing took back', async () => {
    await fc.assert(
      fc.asyncProperty(steps, (sequence) => runSequence(sequence)),
      { numRuns: 5 },
    );
  }, 120_000);
});
