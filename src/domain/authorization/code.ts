import type { StoredApplication } from '../applications';
import type { StoredOidcClient } from '../clients/model';
import { AuthorizationRedirectError, InvalidRequest } from '../errors';
import { newId, newSecret } from '../ids';
import { CHALLENGE_TTL_SECONDS, seconds } from '../login/deps';
import { newHandle } from '../login/handles';
import type { AuthorizationRequestRecord } from '../login/model';
import type { AuthorizeOutcome } from '../login/outcome';
import { rememberSession } from '../login/sessions';
import { answeredLogin, finishRequest } from '../login/states';
import { CODE_TTL_SECONDS, type OidcLoginDeps } from './deps';

/**
 * The OIDC finisher: what follows an answered login of an OIDC client.
 *
 * Rules, in the order they are checked:
 * 1. A refused login or consent redirects to the client with the application's error.
 * 2. Consent is asked of third-party clients and for `prompt=consent`, unless remembered consent
 *    covers the scopes; `prompt=none` then answers `consent_required`.
 * 3. The code is single use, lives a minute, and is bound to client, redirect URI, PKCE challenge
 *    and nonce. The request moves to `done` with a conditional write, so a verifier is single use.
 */

/** The browser came back from the login page (or a session answered it): consent, when needed, then the code. */
export async function afterLogin(deps: OidcLoginDeps, client: StoredOidcClient, application: StoredApplication, record: AuthorizationRequestRecord): Promise<AuthorizeOutcome> {
  const fail = (code: string, message: string) => new AuthorizationRedirectError(code, message, record.redirectUri, record.state, deps.issuer);
  if (record.rejection) {
    await deps.authorizations.transitionRequest(record.environmentId, record.id, record.status, { status: 'done' }, seconds(deps.now));
    throw fail(record.rejection.error, record.rejection.errorDescription ?? 'the end user could not be logged in');
  }
  const login = answeredLogin(record);
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

/** The browser came back from the consent page: the code for the scopes granted. */
export function afterConsent(deps: OidcLoginDeps, client: StoredOidcClient, record: AuthorizationRequestRecord): Promise<AuthorizeOutcome> {
  return issueCode(deps, client, record, record.grantedScopes ?? []);
}

/** The request is done (once), the session is remembered, and the client gets its code. */
async function issueCode(deps: OidcLoginDeps, client: StoredOidcClient, record: AuthorizationRequestRecord, grantedScopes: readonly string[]): Promise<AuthorizeOutcome> {
  const fail = (code: string, message: string) => new AuthorizationRedirectError(code, message, record.redirectUri, record.state, deps.issuer);
  await finishRequest(deps, record);
  if (record.rejection) throw fail(record.rejection.error, record.rejection.errorDescription ?? 'the end user did not consent');
  const login = answeredLogin(record);
  const { sessionId, session } = await rememberSession(deps, record, login);

  const now = seconds(deps.now);
  const code = newSecret('lkc');
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
