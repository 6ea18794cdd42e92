import { beforeEach, describe, expect, it } from 'vitest';
import { authorize, type AuthorizeDeps } from '../../src/domain/login/authorize';
import type { BrowserState } from '../../src/domain/login/outcome';
import { endSession, type EndSessionDeps } from '../../src/domain/authorization/end-session';
import { acceptLoginRequest, getInteractionRequest } from '../../src/domain/login/interaction-requests';
import type { Caller } from '../../src/domain/caller';
import type { StoredOidcClient } from '../../src/domain/clients/model';
import { CLIENT_DEFAULTS } from '../../src/domain/clients/settings';
import type { EndUser, EndUserStore, Profile } from '../../src/domain/end-users';
import { AuthorizationRedirectError, ChallengeExpired, Conflict, InvalidRequest, NotFound } from '../../src/domain/errors';
import { MemoryAuthorizationStore } from '../support/memory-authorization-store';
import { MemoryStore, plainHasher } from '../support/memory-store';

/**
 * The authorization endpoint and login requests against in-memory stores and a frozen clock: single
 * answers under concurrency, single-use verifiers, expiry, and the browser binding.
 */

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const APP = 'app_cccccccccccccccccccccccccc';
const START = Date.parse('2026-01-01T00:00:00Z');

/** End users keyed as the table keys them; enough for the delegated subject path. */
function memoryUsers(): EndUserStore {
  const items = new Map<string, unknown>();
  const putIfAbsent = async <T>(key: string, value: T): Promise<T> => {
    if (!items.has(key)) items.set(key, value);
    return items.get(key) as T;
  };
  return {
    findSubject: async (_e, connection, subject) => items.get(`S#${connection}#${subject}`) as string | undefined,
    claimSubject: (_e, connection, subject, userId) => putIfAbsent(`S#${connection}#${subject}`, userId),
    getUserAndProfile: async (_e, userId, upi) => ({
      user: items.get(`U#${userId}`) as EndUser | undefined,
      profile: items.get(`P#${userId}#${upi ?? ''}`) as Profile | undefined,
    }),
    createUserIfAbsent: (user) => putIfAbsent(`U#${user.id}`, user),
    updateUser: async (_e, userId, changes) => ({ ...(items.get(`U#${userId}`) as EndUser), ...changes }),
    createProfileIfAbsent: (profile) => putIfAbsent(`P#${profile.userId}#${profile.uniqueProfileIdentifier ?? ''}`, profile),
    getUser: async (_e, userId) => items.get(`U#${userId}`) as EndUser | undefined,
    listUsers: async () => ({ items: [] }),
    listProfiles: async () => [],
  };
}

describe('authorization requests and login requests', () => {
  let now: number;
  let deps: AuthorizeDeps;
  const client: StoredOidcClient = {
    ...CLIENT_DEFAULTS,
    name: 'RP',
    id: 'cl_bbbbbbbbbbbbbbbbbbbbbbbbbb',
    clientId: `cl_bbbbbbbbbbbbbbbbbbbbbbbbbb@${ENV}`,
    applicationId: APP,
    environmentId: ENV,
    tenantId: 'ten_d',
    protocol: 'oidc',
    secret: { current: 'x' },
    createdAt: '',
    updatedAt: '',
    redirectUris: ['https://rp.example.com/cb'],
  };
  const caller: Caller = { tenantId: 'ten_d', environmentId: ENV, accountId: 'sa_x', permissions: { latchkey: ['LOGIN_REQUESTS_ACCEPT'] } };
  const cookies = new Map<string, string>();
  const browser: BrowserState = { sessionOf: (env) => cookies.get(`session/${env}`), bindingOf: (id) => cookies.get(`binding/${id}`) };
  const params = (extra: Record<string, string> = {}) =>
    new URLSearchParams({ client_id: client.clientId, redirect_uri: 'https://rp.example.com/cb', response_type: 'code', scope: 'openid', state: 's', ...extra });

  beforeEach(() => {
    now = START;
    cookies.clear();
    deps = {
      clients: { getClient: async (_e: string, id: string) => (id === client.id ? client : undefined) } as never,
      applications: { getApplication: async (_e: string, id: string) => (id === APP ? { id: APP, loginUrl: 'https://app.example.com/login' } : undefined) } as never,
      connections: { getIdpConnectionByType: async () => ({ id: 'idp_a', enabled: true, applicationIds: [APP] }) } as never,
      users: memoryUsers(),
      authorizations: new MemoryAuthorizationStore(),
      resources: new MemoryStore(),
      hasher: plainHasher,
      now: () => now,
      issuer: 'https://id.example.com',
      // No SAML client here: a login that reached for the keys would fail.
      samlKeys: {} as never,
    };
  });

  async function startLogin(): Promise<string> {
    const outcome = await authorize(deps, params(), browser);
    cookies.set(`binding/${outcome.binding!.requestId}`, outcome.binding!.value);
    return new URL(outcome.location).searchParams.get('login_challenge')!;
  }

  it('accepts a login challenge once, however many answers race', async () => {
    const challenge = await startLogin();
    const answers = await Promise.allSettled([1, 2, 3].map((n) => acceptLoginRequest(deps, caller, challenge, { subjectId: `user-${n}` })));
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(1);
    for (const answer of answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected')) expect(answer.reason).toBeInstanceOf(Conflict);
  });

  it('redeems a verifier once, in the browser that holds the binding', async () => {
    const challenge = await startLogin();
    const { redirectTo } = await acceptLoginRequest(deps, caller, challenge, { subjectId: 'u' });
    const resume = new URL(redirectTo).searchParams;
    const stranger: BrowserState = { sessionOf: () => undefined, bindingOf: () => undefined };
    await expect(authorize(deps, resume, stranger)).rejects.toBeInstanceOf(InvalidRequest);
    const done = await authorize(deps, resume, browser);
    expect(new URL(done.location).searchParams.get('code')).toMatch(/^lkc_/);
    expect(done.clearBinding).toBeDefined();
    await expect(authorize(deps, resume, browser)).rejects.toThrow('already been completed');
  });

  it('refuses an expired challenge, and a forged one as unknown', async () => {
    const challenge = await startLogin();
    const forged = `${challenge.split('.')[0]}.${'A'.repeat(43)}`;
    await expect(getInteractionRequest(deps, caller, 'login', forged)).rejects.toBeInstanceOf(NotFound);
    now = START + 600_000;
    await expect(acceptLoginRequest(deps, caller, challenge, { subjectId: 'late' })).rejects.toBeInstanceOf(ChallengeExpired);
    now = START + 599_000;
    await expect(getInteractionRequest(deps, caller, 'login', challenge)).resolves.toMatchObject({ clientId: client.clientId });
  });

  it('answers prompt=none without a session at the redirect URI, with state and iss', async () => {
    const refusal = authorize(deps, params({ prompt: 'none' }), browser);
    await expect(refusal).rejects.toBeInstanceOf(AuthorizationRedirectError);
    await expect(refusal).rejects.toMatchObject({ code: 'login_required', redirectUri: 'https://rp.example.com/cb', state: 's', issuer: 'https://id.example.com' });
  });
});

/** RP-initiated logout's decision: end at once, or ask the end user first. */
describe('RP-initiated logout', () => {
  const NOW = START / 1000;
  const client = {
    ...CLIENT_DEFAULTS,
    name: 'RP',
    id: 'cl_bbbbbbbbbbbbbbbbbbbbbbbbbb',
    clientId: `cl_bbbbbbbbbbbbbbbbbbbbbbbbbb@${ENV}`,
    applicationId: APP,
    environmentId: ENV,
    protocol: 'oidc',
  };
  const SESSION = 'ses_eeeeeeeeeeeeeeeeeeeeeeeeee';
  const COOKIE = `${SESSION}.lkb_${'s'.repeat(43)}`;
  let authorizations: MemoryAuthorizationStore;
  let deps: EndSessionDeps;
  /** The "ID tokens" this fake issuer signed, by their text. */
  const signed = new Map<string, Record<string, unknown>>();
  const hint = (claims: Record<string, unknown>) => {
    const text = `id-token-${signed.size}`;
    signed.set(text, { iss: 'https://id.example.com', aud: client.clientId, azp: client.clientId, sub: 'usr_alice', sid: SESSION, exp: NOW + 60, ...claims });
    return text;
  };
  const logout = (params: Record<string, string>, confirmed = false) => endSession(deps, new URLSearchParams(params), () => COOKIE, confirmed);

  beforeEach(async () => {
    authorizations = new MemoryAuthorizationStore();
    deps = {
      clients: { getClient: async (_e: string, id: string) => (id === client.id ? client : undefined) } as never,
      applications: { getApplication: async () => undefined } as never,
      connections: {} as never,
      users: {} as never,
      authorizations,
      hasher: plainHasher,
      now: () => START,
      issuer: 'https://id.example.com',
      readIdTokenHint: async (token) => signed.get(token),
      signer: {} as never,
      notifyLogout: async () => undefined,
    };
    await authorizations.putSession({
      id: SESSION,
      environmentId: ENV,
      secretHash: await plainHasher.hash(COOKIE.split('.')[1]!),
      userId: 'usr_alice',
      profileId: 'prf_a',
      subjectId: 'alice',
      authTime: NOW,
      expiresAt: NOW + 3600,
    });
  });

  it('asks first without a hint, and ends the session once confirmed', async () => {
    expect(await logout({ client_id: client.clientId, state: 's' })).toEqual({ ended: false, clientName: 'RP', parameters: { client_id: client.clientId, state: 's' } });
    expect(await authorizations.getSession(ENV, SESSION)).toBeDefined();
    expect(await logout({ client_id: client.clientId }, true)).toEqual({ ended: true, environmentId: ENV });
    expect(await authorizations.getSession(ENV, SESSION)).toBeUndefined();
  });

  it("ends at once for a fresh ID token of the session's user; asks for an expired one or another user's", async () => {
    expect((await logout({ id_token_hint: hint({ exp: NOW }) })).ended).toBe(false);
    expect((await logout({ id_token_hint: hint({ sub: 'usr_bob' }) })).ended).toBe(false);
    expect(await authorizations.getSession(ENV, SESSION)).toBeDefined();
    expect((await logout({ id_token_hint: hint({}) })).ended).toBe(true);
    expect(await authorizations.getSession(ENV, SESSION)).toBeUndefined();
  });

  it('refuses a hint that names no single client, or whose azp is another', async () => {
    for (const claims of [{ aud: [client.clientId, 'cl_other'] }, { azp: 'cl_other' }, { aud: undefined }, { sub: undefined }]) {
      await expect(logout({ id_token_hint: hint(claims) })).rejects.toThrow(new InvalidRequest('id_token_hint is not an ID token of this issuer'));
    }
    await expect(logout({ id_token_hint: 'not-signed-here' })).rejects.toBeInstanceOf(InvalidRequest);
  });
});
