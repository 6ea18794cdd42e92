import type { AuthenticatedClient } from '../clients/authentication';
import type { StoredOidcClient } from '../clients/model';
import { InvalidGrant, InvalidRequest, InvalidScope, UnauthorizedClient } from '../errors';
import type { Resource } from '../model';
import { mintAccessToken } from '../minter';
import { splitScope } from '../scopes';
import { clientResourceLifetime } from '../clients/tokens';
import { sameDigest } from '../secrets';
import { latestReset } from '../revoking-resets';
import { endUserStands, loadEndUserStanding } from '../token-origins';
import { REFRESH_TOKEN_REUSE_LEEWAY_SECONDS, seconds, type GrantDeps } from './deps';
import { revokeFamily } from './families';
import { newSecret } from '../ids';
import { s256 } from './handles';
import { signIdToken } from './id-token';
import type { GrantSubject, RefreshTokenRecord } from './model';

/**
 * The authorization-code (RFC 6749 §4.1.3) and refresh-token (§6) grants for OIDC clients.
 *
 * Rules of the code, in the order they are checked (every failure is `invalid_grant`, the same
 * message for unknown, expired and foreign codes; the log gets the reason):
 * 1. The code exists in the client's environment and has not expired.
 * 2. A code presented again revokes everything issued from it (RFC 6749 §4.1.2, RFC 9700 §4.5):
 *    the token family's access tokens and refresh tokens.
 * 3. It was issued to this client, for this exact `redirect_uri`.
 * 4. PKCE (RFC 7636 §4.6): a code with a challenge needs the verifier whose S256 matches; a code
 *    without one refuses a verifier (RFC 9700 §4.8.2, PKCE downgrade).
 * 5. It is consumed by a conditional write: of two concurrent redemptions one wins, the other is a
 *    replay (rule 2). The family exists from the moment the code does, and an access token joins
 *    it only while it is not revoked, so a replay revokes the winner's tokens whichever finishes first.
 * Rules of the refresh token:
 * 1. It exists in the client's environment, is unexpired, is this client's, and its family is
 *    neither revoked nor past the client's maximum refresh time (`maxRefreshSeconds`).
 * 2. It is rotated on every use; a spent one presented again revokes the whole family
 *    (RFC 9700 §4.14.2), with one exception: the token rotated last, presented again within
 *    `REFRESH_TOKEN_REUSE_LEEWAY_SECONDS` of its use while its successor is still unused, gets a
 *    fresh pair of the same family (two tabs refreshing at once both keep the session). Of two
 *    concurrent uses, the one that loses the conditional write is such a presentation.
 * 3. `scope`, when sent, may only narrow the original grant.
 * 4. A refresh token bound to a DPoP key (a public client's, issued for a DPoP proof) needs a proof of
 *    that same key (RFC 9449 §5); it is refused, and stays unspent, without one or with another.
 * Both grants: with a DPoP proof the access token is bound to its key (the minter's rule 6), and a
 * public client's new refresh token too.
 * Both grants: the end user still stands (`token-origins.ts`): exists, is not disabled, has not
 * signed out everywhere since the authentication the grant descends from (`authTime`), and the IDP
 * connection it came through is enabled. (The client and its application were checked when the
 * client authenticated.)
 * Access tokens (built by the minter, minter.ts) are JWTs for the requested resource (or the client),
 * with the client's or the resource's lifetime; an ID token is added when `openid` was granted, a refresh token when
 * `offline_access` was. Tokens are signed before the grant is consumed, so a signing failure
 * (an algorithm the deployment has no key for) leaves the code or refresh token usable.
 */

export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly expiresInSeconds: number;
  readonly scope: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
}

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** Only what a grant stands for, without the fields of the record it was read from. */
function grantOf(record: GrantSubject): GrantSubject {
  const { environmentId, tenantId, clientRef, applicationId, userId, profileId, sessionId, authTime, amr, scopes, resource, familyId } = record;
  return {
    environmentId,
    tenantId,
    clientRef,
    applicationId,
    userId,
    profileId,
    sessionId,
    authTime,
    scopes,
    familyId,
    ...(amr ? { amr } : {}),
    ...(resource ? { resource } : {}),
  };
}

export async function exchangeAuthorizationCode(
  deps: GrantDeps,
  caller: AuthenticatedClient,
  input: { code?: string; redirectUri?: string; codeVerifier?: string; dpopKeyThumbprint?: string },
): Promise<TokenSet> {
  const { client } = caller;
  if (!input.code) throw new InvalidRequest('code is required');
  if (!input.redirectUri) throw new InvalidRequest('redirect_uri is required');
  const now = seconds(deps.now);
  const codeHash = await deps.hasher.hash(input.code);
  const code = await deps.authorizations.getCode(client.environmentId, codeHash);
  const invalid = (reason: string) => new InvalidGrant('the authorization code is invalid, expired or already used', reason);
  if (!code || code.expiresAt <= now) throw invalid('unknown or expired code');
  if (code.usedAt !== undefined) {
    await revokeFamily(deps, code.environmentId, code.familyId);
    throw invalid(`code replayed; family ${code.familyId} revoked`);
  }
  if (code.clientRef !== client.id) throw invalid(`code of client ${code.clientRef} presented by ${client.id}`);
  if (code.redirectUri !== input.redirectUri) throw invalid('redirect_uri differs from the authorization request');
  if (code.codeChallenge) {
    if (!input.codeVerifier || !VERIFIER.test(input.codeVerifier) || !sameDigest(s256(input.codeVerifier), code.codeChallenge)) {
      throw new InvalidGrant('code_verifier does not match the code_challenge', 'PKCE verification failed');
    }
  } else if (input.codeVerifier !== undefined) {
    throw new InvalidGrant('code_verifier was sent but the authorization request had no code_challenge');
  }
  if (caller.publicClient && !code.codeChallenge) throw new UnauthorizedClient('public clients must use PKCE');
  const family = await deps.authorizations.getFamily(code.environmentId, code.familyId);
  if (!family) throw invalid(`family ${code.familyId} of the code is missing`);
  // Signed before anything is written: a signing failure leaves the code unspent.
  const prepared = await prepareTokens(deps, caller, code, { ...(code.nonce !== undefined ? { nonce: code.nonce } : {}), dpopKeyThumbprint: input.dpopKeyThumbprint });
  if (!(await deps.authorizations.consumeCode(code.environmentId, codeHash, now))) {
    await revokeFamily(deps, code.environmentId, code.familyId);
    throw invalid(`code redeemed concurrently; family ${code.familyId} revoked`);
  }
  return commitTokens(deps, client, code, prepared, family.absoluteExpiresAt);
}

export async function refreshTokens(deps: GrantDeps, caller: AuthenticatedClient, input: { refreshToken?: string; scope?: string; dpopKeyThumbprint?: string }): Promise<TokenSet> {
  const { client } = caller;
  if (!input.refreshToken) throw new InvalidRequest('refresh_token is required');
  const now = seconds(deps.now);
  const tokenHash = await deps.hasher.hash(input.refreshToken);
  const token = await deps.authorizations.getRefreshToken(client.environmentId, tokenHash);
  const invalid = (reason: string) => new InvalidGrant('the refresh token is invalid, expired or revoked', reason);
  if (!token || token.expiresAt <= now) throw invalid('unknown or expired refresh token');
  if (token.clientRef !== client.id) throw invalid(`refresh token of client ${token.clientRef} presented by ${client.id}`);
  if (token.dpopKeyThumbprint !== undefined && token.dpopKeyThumbprint !== input.dpopKeyThumbprint) {
    throw new InvalidGrant('the refresh token is bound to a DPoP key: send a DPoP proof of that key', `refresh token of ${client.id} presented without its DPoP key`);
  }
  const family = await deps.authorizations.getFamily(token.environmentId, token.familyId);
  if (!family || family.revoked || family.absoluteExpiresAt <= now) throw invalid(`family ${token.familyId} revoked or past its maximum`);
  if (token.usedAt !== undefined && !(await withinReuseLeeway(deps, token, now))) {
    await revokeFamily(deps, token.environmentId, token.familyId);
    throw invalid(`spent refresh token reused; family ${token.familyId} revoked`);
  }
  let scopes = token.scopes;
  if (input.scope !== undefined) {
    const asked = splitScope(input.scope);
    const extra = asked.filter((scope) => !token.scopes.includes(scope));
    if (extra.length > 0) throw new InvalidScope(`scope may only narrow the original grant; ${extra.map((s) => `"${s}"`).join(', ')} was not granted`);
    scopes = asked;
  }
  const prepared = await prepareTokens(deps, caller, token, { accessScopes: scopes, dpopKeyThumbprint: input.dpopKeyThumbprint });
  if (token.usedAt === undefined && !(await deps.authorizations.consumeRefreshToken(token.environmentId, tokenHash, now, prepared.refreshToken?.hash))) {
    // Another request rotated it first: within the leeway this one is the second tab, else a replay.
    const spent = await deps.authorizations.getRefreshToken(token.environmentId, tokenHash);
    if (!spent || !(await withinReuseLeeway(deps, spent, now))) {
      await revokeFamily(deps, token.environmentId, token.familyId);
      throw invalid(`refresh token used concurrently; family ${token.familyId} revoked`);
    }
  }
  return commitTokens(deps, client, token, prepared, family.absoluteExpiresAt);
}

/** Rule 2's exception: spent within the leeway, and its successor (if already stored) not yet used. */
async function withinReuseLeeway(deps: GrantDeps, token: RefreshTokenRecord, now: number): Promise<boolean> {
  if (token.usedAt === undefined || now - token.usedAt > REFRESH_TOKEN_REUSE_LEEWAY_SECONDS) return false;
  if (token.successorHash === undefined) return true;
  // Absent: the request that rotated it is still storing it.
  const successor = await deps.authorizations.getRefreshToken(token.environmentId, token.successorHash);
  return successor?.usedAt === undefined;
}

interface PreparedTokens {
  readonly accessToken: string;
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly jti: string;
  readonly exp: number;
  readonly lifetime: number;
  readonly scopes: readonly string[];
  readonly idToken?: string;
  /** The grant's next refresh token, when `offline_access` was granted: stored only once the grant is consumed. */
  readonly refreshToken?: { readonly value: string; readonly hash: string; readonly dpopKeyThumbprint?: string };
}

/** The signed tokens of a grant; nothing is written yet. */
async function prepareTokens(
  deps: GrantDeps,
  caller: AuthenticatedClient,
  subject: GrantSubject,
  options: { nonce?: string; accessScopes?: readonly string[]; dpopKeyThumbprint?: string | undefined },
): Promise<PreparedTokens> {
  const { client } = caller;
  const { dpopKeyThumbprint } = options;
  const scopes = options.accessScopes ?? subject.scopes;
  const standing = await loadEndUserStanding(deps, subject.environmentId, subject.userId);
  if (!endUserStands(standing, subject.authTime)) {
    throw new InvalidGrant('the end user of this grant is disabled, signed out or no longer exists', `user ${subject.userId} no longer stands`);
  }
  const { user } = standing;

  let resources: Resource[] = [];
  let lifetime = client.accessTokenTtlSeconds;
  if (subject.resource) {
    resources = await deps.resources.getResources(subject.environmentId, [subject.resource]);
    if (resources.length === 0 || !client.resources.some((candidate) => candidate.resource === subject.resource)) {
      throw new InvalidGrant(`resource "${subject.resource}" may no longer be requested by this client`);
    }
    lifetime = clientResourceLifetime(client, subject.resource);
  }
  // A login right after a sign-out everywhere, in the same second, gets tokens dated after it (the minter's rule).
  const minted = await mintAccessToken(
    { ...deps, opaqueTokens: deps.tokens },
    {
      subject: {
        subjectType: 'EndUserAccount',
        id: subject.userId,
        clientId: client.clientId,
        authTime: subject.authTime,
        applicationId: subject.applicationId,
        profileId: subject.profileId,
        sessionId: subject.sessionId,
      },
      tenantId: subject.tenantId,
      environmentId: subject.environmentId,
      audience: { resources, otherwise: client.clientId },
      lifetimeSeconds: lifetime,
      validAfter: latestReset(
        user,
        standing.connections.find((connection) => connection.id === user.idpConnectionId),
      ),
      scopes,
      ...(dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint } : {}),
    },
  );
  const { accessToken, claims } = minted;
  const { iat, jti } = claims;
  const idToken = scopes.includes('openid')
    ? await signIdToken(deps, client, { subject: { ...subject, scopes }, user, accessToken, iat, ...(options.nonce !== undefined ? { nonce: options.nonce } : {}) })
    : undefined;
  let refreshToken: PreparedTokens['refreshToken'];
  if (subject.scopes.includes('offline_access')) {
    const value = newSecret('lkr');
    // RFC 9449 §5: a confidential client's refresh token is bound by its authentication, a public client's to the key.
    const binding = caller.publicClient && dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint } : {};
    refreshToken = { value, hash: await deps.hasher.hash(value), ...binding };
  }
  return {
    accessToken,
    tokenType: minted.tokenType,
    jti,
    exp: claims.exp,
    lifetime: minted.expiresInSeconds,
    scopes,
    ...(idToken ? { idToken } : {}),
    ...(refreshToken ? { refreshToken } : {}),
  };
}

/** After the grant was consumed: the access token joins its family, and a new refresh token is stored. */
async function commitTokens(deps: GrantDeps, client: StoredOidcClient, subject: GrantSubject, prepared: PreparedTokens, absoluteExpiresAt: number): Promise<TokenSet> {
  // A replay may have revoked the family between our consume and now: then this token is never handed out.
  if (!(await deps.authorizations.addFamilyAccessToken(subject.environmentId, subject.familyId, { jti: prepared.jti, exp: prepared.exp }))) {
    await deps.tokens.revokeJwt(subject.environmentId, prepared.jti, prepared.exp);
    throw new InvalidGrant('the grant was revoked while tokens were issued', `family ${subject.familyId} revoked concurrently`);
  }
  const { refreshToken } = prepared;
  if (refreshToken) {
    await deps.authorizations.putRefreshToken({
      ...grantOf(subject),
      tokenHash: refreshToken.hash,
      ...(refreshToken.dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint: refreshToken.dpopKeyThumbprint } : {}),
      expiresAt: Math.min(seconds(deps.now) + client.refreshTokenTtlSeconds, absoluteExpiresAt),
    });
  }
  return {
    accessToken: prepared.accessToken,
    tokenType: prepared.tokenType,
    expiresInSeconds: prepared.lifetime,
    scope: prepared.scopes.join(' '),
    ...(prepared.idToken ? { idToken: prepared.idToken } : {}),
    ...(refreshToken ? { refreshToken: refreshToken.value } : {}),
  };
}
