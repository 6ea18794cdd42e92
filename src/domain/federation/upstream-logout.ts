import { errors as joseErrors, jwtVerify } from 'jose';
import { endSessionAndTell, type BackChannelLogoutDeps } from '../authorization/back-channel-logout';
import type { AssertionReplayStore } from '../clients/client-assertion';
import { InvalidRequest } from '../errors';
import { idpConnectionById, type IdpConnection } from '../idp-connections';
import { seconds, type InteractionDeps } from '../login/deps';
import type { UpstreamSessionLink } from '../login/model';
import { type OidcUpstream, UPSTREAM_JWT_ALGORITHMS } from './oidc-upstream';
import { openUpstreamToken } from './seal';

/**
 * Logout with upstream OpenID providers, both ways.
 *
 * RP-initiated (OpenID Connect RP-Initiated Logout 1.0 §2): when Latchkey's `end_session` ends a
 * session an upstream login made, the browser goes on to the provider's `end_session_endpoint` (if
 * it advertises one) with the upstream ID token as `id_token_hint`, opened from its seal.
 *
 * Back-channel (OpenID Connect Back-Channel Logout 1.0 §2.6), at
 * `/oauth/v2/idp/backchannel-logout?environment=…&connection=…`. Rules, in the order they are checked:
 * 1. The connection exists and is of type `oidc`.
 * 2. The logout token is a JWT signed by a key of the provider's JWKS (asymmetric algorithms only),
 *    `typ` `logout+jwt` when present, `iss` the connection's issuer, `aud` holding its client ID,
 *    `iat` at most ten minutes old (30 s tolerance), `exp` not passed when present.
 * 3. `events` holds the back-channel logout event as an object; there is no `nonce`; `sub` is present
 *    (`sid` alone names no session Latchkey can find).
 * 4. Its `jti` has not been used before (kept until the token could no longer be fresh).
 * 5. The Latchkey sessions of that connection's user that this upstream login made (the upstream
 *    `sid` too, when the token names one) end, and each client's application is told by its own
 *    back-channel logout token. A token that ends nothing is still accepted (§2.7).
 */

export interface UpstreamLogoutDeps extends InteractionDeps, BackChannelLogoutDeps {
  readonly oidc: OidcUpstream;
  readonly replay: AssertionReplayStore;
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const MAX_AGE_SECONDS = 600;

/** Where the browser goes to end the upstream session too, or undefined (no such session or endpoint). */
export async function upstreamLogoutLocation(
  deps: Pick<UpstreamLogoutDeps, 'connections' | 'hasher' | 'oidc'>,
  environmentId: string,
  link: UpstreamSessionLink | undefined,
  after: { readonly uri: string; readonly state?: string } | undefined,
): Promise<string | undefined> {
  if (!link?.sealedIdToken) return undefined;
  const connection = await idpConnectionById(deps.connections, environmentId, link.connectionId);
  if (connection?.type !== 'oidc' || !connection.oidc) return undefined;
  const [endpoint, idToken] = await Promise.all([deps.oidc.endSessionEndpoint(connection).catch(() => undefined), openUpstreamToken(deps.hasher, link.sealedIdToken)]);
  if (!endpoint || !idToken) return undefined;
  const location = new URL(endpoint);
  location.searchParams.set('id_token_hint', idToken);
  location.searchParams.set('client_id', connection.oidc.clientId);
  if (after) {
    location.searchParams.set('post_logout_redirect_uri', after.uri);
    if (after.state !== undefined) location.searchParams.set('state', after.state);
  }
  return location.href;
}

/** The back-channel logout endpoint for one connection; answers how many Latchkey sessions ended. */
export async function upstreamBackChannelLogout(
  deps: UpstreamLogoutDeps,
  input: { environmentId: string; connectionId: string; logoutToken: string | undefined },
): Promise<{ ended: number }> {
  if (!input.logoutToken) throw new InvalidRequest('logout_token is required');
  const connection = await idpConnectionById(deps.connections, input.environmentId, input.connectionId);
  if (connection?.type !== 'oidc' || !connection.oidc) throw new InvalidRequest('this back-channel logout URI names no OpenID Connect connection');
  const claims = await verifyLogoutToken(deps, connection, input.logoutToken);
  const sub = claims.sub;
  if (typeof sub !== 'string') throw new InvalidRequest('the logout token must name its subject (sub)');
  const jti = claims.jti;
  const until = (typeof claims.iat === 'number' ? claims.iat : seconds(deps.now)) + MAX_AGE_SECONDS + 30;
  if (typeof jti !== 'string' || !(await deps.replay.recordAssertionId(input.environmentId, connection.id, `backchannel-logout#${jti}`, until, seconds(deps.now)))) {
    throw new InvalidRequest('the logout token has no jti, or was used before');
  }

  const userId = await deps.users.findSubject(input.environmentId, connection.id, sub);
  if (!userId) return { ended: 0 };
  const sid = typeof claims.sid === 'string' ? claims.sid : undefined;
  const sessions = (await deps.authorizations.listUserSessions(input.environmentId, userId)).filter(
    (session) => session.upstream?.connectionId === connection.id && (sid === undefined || session.upstream.sid === sid),
  );
  for (const session of sessions) await endSessionAndTell(deps, session);
  return { ended: sessions.length };
}

async function verifyLogoutToken(deps: UpstreamLogoutDeps, connection: IdpConnection, token: string): Promise<Record<string, unknown>> {
  const settings = connection.oidc!;
  try {
    const { payload, protectedHeader } = await jwtVerify(token, await deps.oidc.keys(connection), {
      issuer: settings.issuer,
      audience: settings.clientId,
      algorithms: UPSTREAM_JWT_ALGORITHMS,
      clockTolerance: 30,
      maxTokenAge: MAX_AGE_SECONDS,
      currentDate: new Date(deps.now()),
      requiredClaims: ['iat', 'jti', 'events'],
    });
    if (protectedHeader.typ !== undefined && protectedHeader.typ.toLowerCase() !== 'logout+jwt' && protectedHeader.typ.toLowerCase() !== 'application/logout+jwt') {
      throw new InvalidRequest('the logout token has another typ than logout+jwt');
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[LOGOUT_EVENT] !== 'object' || events[LOGOUT_EVENT] === null) throw new InvalidRequest('the logout token carries no back-channel logout event');
    if (payload.nonce !== undefined) throw new InvalidRequest('a logout token must not carry a nonce');
    return payload;
  } catch (error) {
    if (error instanceof InvalidRequest) throw error;
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'ERR_UNKNOWN';
    throw new InvalidRequest(`the logout token was refused (${reason})`, { cause: error });
  }
}
