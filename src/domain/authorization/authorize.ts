import type { StoredApplication } from '../applications';
import type { PromptValue, StoredClient, StoredOidcClient, StoredSamlClient } from '../clients/model';
import { PROMPT_VALUES } from '../clients/model';
import { AuthorizationRedirectError, InvalidRequest } from '../errors';
import { isId, newId, parseClientId } from '../ids';
import { CHALLENGE_TTL_SECONDS, CODE_TTL_SECONDS, DEFAULT_SESSION_SECONDS, seconds, type InteractionDeps } from './deps';
import { handleId, handleMatches, newHandle, newOpaqueSecret } from './handles';
import { requestedBy, type AuthorizationRequestRecord, type LoginResult, type SessionRecord } from './model';
import { findSession } from './sessions';
import { endUserStands, loadEndUserStanding } from '../token-origins';
import { samlErrorResponse, samlLoginResponse, type SamlForm } from '../saml/sso';
import { STATUS } from '../saml/response';
import { comparableAudience } from '../audiences';
import { splitScope, STANDARD_SCOPES } from '../scopes';

/**
 * The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2), with end-user login and
 * consent delegated to the application's own pages.
 *
 * Rules, in the order they are checked:
 * 1. `client_id` names an OIDC client of an existing application, and `redirect_uri` is one of its
 *    registered URIs, compared exactly (RFC 9700 §4.1). Failing either, the browser gets an error
 *    page and is never redirected.
 * 2. Everything else fails by redirecting to that URI with `error`, `state` and `iss` (RFC 9207):
 *    `request`/`request_uri` are not supported; `response_type` is `code`; `response_mode` is
 *    `query`; every `scope` value is a standard OpenID scope or one the client lists; every `prompt`
 *    value is one the client allows, and `none` stands alone; PKCE uses `S256` only (RFC 9700
 *    §2.1.1), and is required unless the client's PKCE mode is `allow`; `max_age` is a whole number;
 *    at most one `resource` (RFC 8707), one the client may request.
 * 3. A live browser session of the environment logs the end user in, unless `prompt=login` or
 *    `max_age` ask for a fresh login; `prompt=none` without one answers `login_required`. A session
 *    is live only while its end user stands (`token-origins.ts`: not disabled or deleted, no
 *    sign-out everywhere since the session's login, IDP connection enabled).
 * 4. Otherwise the request is stored with a login challenge and the browser goes to the
 *    application's `loginUrl`; a cookie binds the request to this browser, so an answer can only be
 *    resumed by the browser that started it (RFC 9700 §4.2, CSRF and session fixation).
 * 5. Consent is asked of third-party clients and for `prompt=consent`, unless remembered consent
 *    covers the scopes; `prompt=none` then answers `consent_required`.
 * 6. The code is single use, lives a minute, and is bound to client, redirect URI, PKCE challenge
 *    and nonce. Verifiers are single use: the request moves to `done` with a conditional write.
 * 7. A SAML client comes here only with the single-use `saml_request` handle its SSO URL gave
 *    (`src/domain/saml/sso.ts`) or with a login verifier; its login is rule 3 and 4 as above (a
 *    `ForceAuthn` request skips the session, an `IsPassive` one without a session answers
 *    NoPassive), never asks consent, and ends in a signed SAML Response posted to the ACS URL.
 */

/** What the browser holds for Latchkey: its session in an environment and its binding to a request. */
export interface BrowserState {
  sessionOf(environmentId: string): string | undefined;
  bindingOf(requestId: string): string | undefined;
}

/** Where the browser goes next, and what it should remember or forget. */
export interface AuthorizeOutcome {
  readonly location: string;
  /** Start remembering a session; `maxAgeSeconds` absent: only as long as the browser runs. */
  readonly session?: { readonly environmentId: string; readonly value: string; readonly maxAgeSeconds?: number };
  readonly binding?: { readonly requestId: string; readonly value: string; readonly maxAgeSeconds: number };
  /** The binding has served its purpose. */
  readonly clearBinding?: string;
  /** A SAML login's end: the browser POSTs this form to `location` (the ACS URL) instead of a redirect. */
  readonly form?: SamlForm;
}

const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_PARAMETER_LENGTH = 2000;

export async function authorize(deps: InteractionDeps, params: URLSearchParams, browser: BrowserState): Promise<AuthorizeOutcome> {
  for (const [name, value] of params) {
    if (value.length > MAX_PARAMETER_LENGTH) throw new InvalidRequest(`parameter "${name}" is longer than ${MAX_PARAMETER_LENGTH} characters`);
  }
  const { client, application } = await loadClient(deps, params.get('client_id'));
  const loginVerifier = params.get('login_verifier');
  const consentVerifier = params.get('consent_verifier');
  if (loginVerifier !== null || consentVerifier !== null) return resume(deps, client, application, loginVerifier, consentVerifier, browser);
  const samlRequest = params.get('saml_request');
  if (client.protocol === 'saml') {
    if (samlRequest === null) throw new InvalidRequest('a SAML client signs in through its SSO URL');
    return startSaml(deps, client, application, samlRequest, browser);
  }
  return start(deps, client, application, params, browser);
}

async function loadClient(deps: InteractionDeps, clientId: string | null): Promise<{ client: StoredClient; application: StoredApplication }> {
  if (!clientId) throw new InvalidRequest('client_id is required');
  const parsed = parseClientId(clientId);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  const application = client && (await deps.applications.getApplication(client.environmentId, client.applicationId));
  if (!client || !application) throw new InvalidRequest(`client_id "${clientId.slice(0, 80)}" is not a client of this issuer`);
  return { client, application };
}

async function start(deps: InteractionDeps, client: StoredOidcClient, application: StoredApplication, params: URLSearchParams, browser: BrowserState): Promise<AuthorizeOutcome> {
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw new InvalidRequest('redirect_uri is required');
  if (!client.redirectUris.includes(redirectUri)) throw new InvalidRequest('redirect_uri is not registered for this client');
  for (const name of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'prompt', 'max_age', 'code_challenge', 'code_challenge_method']) {
    if (params.getAll(name).length > 1) throw new InvalidRequest(`parameter "${name}" must not be repeated`);
  }
  const state = params.get('state') ?? undefined;
  const fail = (code: string, message: string) => new AuthorizationRedirectError(code, message, redirectUri, state, deps.issuer);

  if (params.has('request')) throw fail('request_not_supported', 'request objects are not supported');
  if (params.has('request_uri')) throw fail('request_uri_not_supported', 'request_uri is not supported');
  const responseType = params.get('response_type');
  if (!responseType) throw fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') throw fail('unsupported_response_type', 'only response_type "code" is supported');
  const responseMode = params.get('response_mode');
  if (responseMode !== null && responseMode !== 'query') throw fail('invalid_request', 'only response_mode "query" is supported');

  const scopes = splitScope(params.get('scope') ?? undefined);
  const unknownScopes = scopes.filter((scope) => !STANDARD_SCOPES.has(scope) && !client.scopes.includes(scope));
  if (unknownScopes.length > 0) throw fail('invalid_scope', `scope ${unknownScopes.map((s) => `"${s}"`).join(', ')} is not allowed for this client`);

  const prompt = splitScope(params.get('prompt') ?? undefined);
  for (const value of prompt) {
    if (!PROMPT_VALUES.includes(value as PromptValue)) throw fail('invalid_request', `prompt "${value}" is not supported`);
    if (!client.promptValues.includes(value as PromptValue)) throw fail('invalid_request', `prompt "${value}" is not allowed for this client`);
  }
  if (prompt.includes('none') && prompt.length > 1) throw fail('invalid_request', 'prompt "none" must not be combined with other values');

  const codeChallenge = params.get('code_challenge') ?? undefined;
  const method = params.get('code_challenge_method');
  if (codeChallenge !== undefined || method !== null) {
    if (method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256');
    if (!codeChallenge || !CODE_CHALLENGE.test(codeChallenge)) throw fail('invalid_request', 'code_challenge must be 43 to 128 characters of base64url');
  } else if (client.pkce !== 'allow') {
    throw fail('invalid_request', 'this client must use PKCE: send code_challenge with code_challenge_method S256');
  }

  const maxAgeText = params.get('max_age');
  if (maxAgeText !== null && !/^\d{1,9}$/.test(maxAgeText)) throw fail('invalid_request', 'max_age must be a whole number of seconds');
  const maxAge = maxAgeText === null ? undefined : Number(maxAgeText);

  const resources = params.getAll('resource');
  if (resources.length > 1) throw fail('invalid_target', 'a client may request one resource per authorization request');
  let resource: string | undefined;
  if (resources.length === 1) {
    const allowed = await deps.resources.getResources(
      client.environmentId,
      client.resources.map((entry) => entry.resource),
    );
    resource = allowed.find((candidate) => candidate.key === resources[0] || comparableAudience(candidate.audience) === comparableAudience(resources[0]!))?.key;
    if (!resource) throw fail('invalid_target', `resource "${resources[0]}" is not one this client may request`);
  }

  const now = seconds(deps.now);
  const session = await liveSession(deps, client.environmentId, browser.sessionOf(client.environmentId));
  const freshLoginAsked = prompt.includes('login') || (session !== undefined && maxAge !== undefined && now - session.authTime > maxAge);
  if (prompt.includes('none') && (!session || freshLoginAsked)) throw fail('login_required', 'the end user is not logged in');
  const useSession = session !== undefined && !freshLoginAsked;
  if (!useSession && !application.loginUrl) throw fail('unauthorized_client', 'the application of this client has no loginUrl to log end users in');

  const id = newId('azr');
  const binding = await newHandle(deps.hasher, id);
  const challenge = useSession ? undefined : await newHandle(deps.hasher, id);
  const nonce = params.get('nonce') ?? undefined;
  const loginHint = params.get('login_hint') ?? undefined;
  const record: AuthorizationRequestRecord = {
    id,
    ...requestedBy(client),
    redirectUri,
    scopes,
    ...(state !== undefined ? { state } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(codeChallenge !== undefined ? { codeChallenge } : {}),
    prompt: prompt as PromptValue[],
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(loginHint !== undefined ? { loginHint } : {}),
    ...(resource !== undefined ? { resource } : {}),
    browserBindingHash: binding.hash,
    status: useSession ? 'login_answered' : 'login',
    ...(challenge ? { loginChallengeHash: challenge.hash } : {}),
    ...(useSession ? { login: sessionLogin(session) } : {}),
    createdAt: new Date(deps.now()).toISOString(),
    expiresAt: now + CHALLENGE_TTL_SECONDS,
  };
  await deps.authorizations.putRequest(record);
  const bindingCookie = { requestId: id, value: binding.value, maxAgeSeconds: CHALLENGE_TTL_SECONDS };
  if (!challenge) {
    const outcome = await afterLogin(deps, client, application, record);
    // Straight to the code: no binding to set; on to consent: the browser must come back with it.
    return outcome.clearBinding ? { ...outcome, clearBinding: undefined } : { ...outcome, binding: bindingCookie };
  }
  const location = new URL(application.loginUrl!);
  location.searchParams.set('login_challenge', challenge.value);
  return { location: location.href, binding: bindingCookie };
}

/** Rule 7: the browser brings the SAML request checked at the SSO URL; then rules 3 and 4. */
async function startSaml(deps: InteractionDeps, client: StoredSamlClient, application: StoredApplication, handle: string, browser: BrowserState): Promise<AuthorizeOutcome> {
  const id = handleId(handle);
  const record = id && (await deps.authorizations.getRequest(client.environmentId, id));
  if (!record || record.clientRef !== client.id || record.status !== 'received' || !(await handleMatches(deps.hasher, handle, record.samlStartHash))) {
    throw new InvalidRequest('this SAML sign-in is unknown or already under way; start it again from the service provider');
  }
  const saml = record.saml!;
  const session = saml.forceAuthn ? undefined : await liveSession(deps, client.environmentId, browser.sessionOf(client.environmentId));
  const now = seconds(deps.now);
  if (!session && (saml.isPassive || !application.loginUrl)) {
    if (!(await deps.authorizations.transitionRequest(record.environmentId, record.id, 'received', { status: 'done' }, now))) {
      throw new InvalidRequest('this SAML sign-in is already under way');
    }
    const [second, message] = saml.isPassive ? [STATUS.noPassive, 'the end user is not logged in'] : [STATUS.authnFailed, 'the application has no loginUrl to log end users in'];
    return { location: saml.acsUrl, form: samlErrorResponse(deps, client, record, second, message) };
  }
  const binding = await newHandle(deps.hasher, record.id);
  const challenge = session ? undefined : await newHandle(deps.hasher, record.id);
  const moved = await deps.authorizations.transitionRequest(
    record.environmentId,
    record.id,
    'received',
    {
      status: session ? 'login_answered' : 'login',
      browserBindingHash: binding.hash,
      ...(challenge ? { loginChallengeHash: challenge.hash } : {}),
      ...(session ? { login: sessionLogin(session) } : {}),
    },
    now,
  );
  if (!moved) throw new InvalidRequest('this SAML sign-in is already under way');
  if (!challenge) return finishSaml(deps, client, moved);
  const location = new URL(application.loginUrl!);
  location.searchParams.set('login_challenge', challenge.value);
  return { location: location.href, binding: { requestId: record.id, value: binding.value, maxAgeSeconds: CHALLENGE_TTL_SECONDS } };
}

/** Rule 7: the request is done (once), the session is remembered, and the SP gets its Response. */
async function finishSaml(deps: InteractionDeps, client: StoredSamlClient, record: AuthorizationRequestRecord): Promise<AuthorizeOutcome> {
  const done = await deps.authorizations.transitionRequest(record.environmentId, record.id, record.status, { status: 'done' }, seconds(deps.now));
  if (!done) throw new InvalidRequest('this sign-in step has already been completed');
  const acsUrl = record.saml!.acsUrl;
  if (record.rejection) {
    const form = samlErrorResponse(deps, client, record, STATUS.authnFailed, record.rejection.errorDescription ?? 'the end user could not be logged in');
    return { location: acsUrl, form, clearBinding: record.id };
  }
  const { sessionId, session } = await rememberSession(deps, record, record.login!);
  return { location: acsUrl, form: await samlLoginResponse(deps, client, record, record.login!, sessionId), ...(session ? { session } : {}), clearBinding: record.id };
}

/** Rule 3: the browser's session, if it is one whose end user still stands. */
async function liveSession(deps: InteractionDeps, environmentId: string, cookie: string | undefined): Promise<SessionRecord | undefined> {
  const session = await findSession(deps, environmentId, cookie);
  if (!session) return undefined;
  return endUserStands(await loadEndUserStanding(deps, environmentId, session.userId), session.authTime) ? session : undefined;
}

/** The login's browser session: the existing one, or a new one (with a cookie when remembered); it records the client, to be told when the session ends. */
async function rememberSession(
  deps: InteractionDeps,
  record: AuthorizationRequestRecord,
  login: LoginResult,
): Promise<{ sessionId: string; session?: AuthorizeOutcome['session'] }> {
  if (login.sessionId) {
    await deps.authorizations.addSessionClient(record.environmentId, login.sessionId, record.clientRef);
    return { sessionId: login.sessionId };
  }
  const now = seconds(deps.now);
  const sessionId = newId('ses');
  const secret = newOpaqueSecret('lkb');
  const lifetime = login.remember ? (login.rememberForSeconds ?? DEFAULT_SESSION_SECONDS) : DEFAULT_SESSION_SECONDS;
  await deps.authorizations.putSession({
    id: sessionId,
    environmentId: record.environmentId,
    secretHash: await deps.hasher.hash(secret),
    userId: login.userId,
    profileId: login.profileId,
    subjectId: login.subjectId,
    authTime: login.authTime,
    ...(login.amr ? { amr: login.amr } : {}),
    clientRefs: [record.clientRef],
    expiresAt: now + lifetime,
  });
  // Not remembered: the session names the login (`sid`, logout) but the browser keeps no cookie,
  // so the next authorization request logs in again.
  return { sessionId, ...(login.remember ? { session: { environmentId: record.environmentId, value: `${sessionId}.${secret}`, maxAgeSeconds: lifetime } } : {}) };
}

function sessionLogin(session: SessionRecord): LoginResult {
  return {
    userId: session.userId,
    profileId: session.profileId,
    subjectId: session.subjectId,
    authTime: session.authTime,
    remember: true,
    sessionId: session.id,
    ...(session.amr ? { amr: session.amr } : {}),
  };
}

async function resume(
  deps: InteractionDeps,
  client: StoredClient,
  application: StoredApplication,
  loginVerifier: string | null,
  consentVerifier: string | null,
  browser: BrowserState,
): Promise<AuthorizeOutcome> {
  if (loginVerifier !== null && consentVerifier !== null) throw new InvalidRequest('send login_verifier or consent_verifier, not both');
  const verifier = (loginVerifier ?? consentVerifier)!;
  const id = handleId(verifier);
  const record = id && (await deps.authorizations.getRequest(client.environmentId, id));
  if (!record || record.clientRef !== client.id) throw new InvalidRequest('this sign-in is unknown; start it again from the application');
  if (record.expiresAt <= seconds(deps.now)) throw new InvalidRequest('this sign-in has expired; start it again from the application');
  const binding = browser.bindingOf(record.id);
  if (!binding || !(await handleMatches(deps.hasher, binding, record.browserBindingHash))) {
    throw new InvalidRequest('this sign-in was started in another browser; start it again from the application');
  }
  const expected = loginVerifier !== null ? { status: 'login_answered', hash: record.loginVerifierHash } : { status: 'consent_answered', hash: record.consentVerifierHash };
  if (record.status !== expected.status || !(await handleMatches(deps.hasher, verifier, expected.hash))) {
    throw new InvalidRequest('this sign-in step has already been completed or its verifier is wrong');
  }
  if (client.protocol === 'saml') {
    if (loginVerifier === null || !record.saml) throw new InvalidRequest('this sign-in step has already been completed or its verifier is wrong');
    return finishSaml(deps, client, record);
  }
  return loginVerifier !== null ? afterLogin(deps, client, application, record) : issueCode(deps, client, record, record.grantedScopes ?? []);
}

/** Rule 5: consent, when it is needed and not remembered; then the code. */
async function afterLogin(deps: InteractionDeps, client: StoredOidcClient, application: StoredApplication, record: AuthorizationRequestRecord): Promise<AuthorizeOutcome> {
  const fail = (code: string, message: string) => new AuthorizationRedirectError(code, message, record.redirectUri, record.state, deps.issuer);
  if (record.rejection) {
    await deps.authorizations.transitionRequest(record.environmentId, record.id, record.status, { status: 'done' }, seconds(deps.now));
    throw fail(record.rejection.error, record.rejection.errorDescription ?? 'the end user could not be logged in');
  }
  const login = record.login!;
  const askedForConsent = record.prompt.includes('consent');
  let needsConsent = client.thirdParty || askedForConsent;
  if (needsConsent && !askedForConsent) {
    const remembered = await deps.authorizations.getConsent(record.environmentId, login.userId, client.id);
    const covered = remembered && remembered.expiresAt > seconds(deps.now) && record.scopes.every((scope) => remembered.scopes.includes(scope));
    if (covered) needsConsent = false;
  }
  if (!needsConsent) return issueCode(deps, client, record, record.scopes);
  if (record.prompt.includes('none')) throw fail('consent_required', 'the end user has not consented to this client');
  if (!application.consentUrl) throw fail('consent_required', 'the application of this client has no consentUrl to ask for consent');
  const challenge = await newHandle(deps.hasher, record.id);
  const moved = await deps.authorizations.transitionRequest(
    record.environmentId,
    record.id,
    'login_answered',
    { status: 'consent', consentChallengeHash: challenge.hash, expiresAt: seconds(deps.now) + CHALLENGE_TTL_SECONDS },
    seconds(deps.now),
  );
  if (!moved) throw new InvalidRequest('this sign-in step has already been completed');
  const location = new URL(application.consentUrl);
  location.searchParams.set('consent_challenge', challenge.value);
  return { location: location.href };
}

/** Rule 6: the request is done (once), the session is remembered, and the client gets its code. */
async function issueCode(deps: InteractionDeps, client: StoredOidcClient, record: AuthorizationRequestRecord, grantedScopes: readonly string[]): Promise<AuthorizeOutcome> {
  const fail = (code: string, message: string) => new AuthorizationRedirectError(code, message, record.redirectUri, record.state, deps.issuer);
  const now = seconds(deps.now);
  const done = await deps.authorizations.transitionRequest(record.environmentId, record.id, record.status, { status: 'done' }, now);
  if (!done) throw new InvalidRequest('this sign-in step has already been completed');
  if (record.rejection) throw fail(record.rejection.error, record.rejection.errorDescription ?? 'the end user did not consent');
  const login = record.login!;
  const { sessionId, session } = await rememberSession(deps, record, login);

  const code = newOpaqueSecret('lkc');
  const familyId = newId('fam');
  // The family exists before the code can be redeemed, so a replay always finds something to revoke.
  await deps.authorizations.putFamily({
    id: familyId,
    environmentId: record.environmentId,
    clientRef: client.id,
    absoluteExpiresAt: now + client.maxRefreshSeconds,
    accessTokens: [],
  });
  await deps.authorizations.putCode({
    codeHash: await deps.hasher.hash(code),
    environmentId: record.environmentId,
    tenantId: record.tenantId,
    clientRef: client.id,
    applicationId: record.applicationId,
    redirectUri: record.redirectUri,
    ...(record.codeChallenge ? { codeChallenge: record.codeChallenge } : {}),
    ...(record.nonce !== undefined ? { nonce: record.nonce } : {}),
    userId: login.userId,
    profileId: login.profileId,
    sessionId,
    authTime: login.authTime,
    ...(login.amr ? { amr: login.amr } : {}),
    scopes: grantedScopes,
    ...(record.resource ? { resource: record.resource } : {}),
    familyId,
    expiresAt: now + CODE_TTL_SECONDS,
  });
  const location = new URL(record.redirectUri);
  location.searchParams.set('code', code);
  if (record.state !== undefined) location.searchParams.set('state', record.state);
  location.searchParams.set('iss', deps.issuer);
  // The binding has served its purpose once the client has its code.
  return { location: location.href, ...(session ? { session } : {}), clearBinding: record.id };
}
