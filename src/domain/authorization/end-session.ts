import { InvalidRequest } from '../errors';
import { isId, parseClientId } from '../ids';
import type { TokenSigner } from '../ports';
import { tellApplication } from './back-channel-logout';
import type { InteractionDeps } from './deps';
import { findSession } from './sessions';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2, §3), with back-channel logout
 * tokens (OpenID Connect Back-Channel Logout 1.0 §2.4) to the application's `logoutUrl`.
 *
 * Rules, in the order they are checked (a failure is an error page, never a redirect):
 * 1. The client is named by `id_token_hint` (an ID token Latchkey signed, expired or not, checked by
 *    signature and issuer) or `client_id`; when both are sent they agree.
 * 2. `post_logout_redirect_uri`, when sent, is one of the client's registered
 *    `postLogoutRedirectUris`, compared exactly.
 * 3. The browser's session in the client's environment ends, and so does the hint's `sid` when it
 *    is the hint's subject's; their records are deleted, so `prompt=none` finds no session.
 * 4. The application's `logoutUrl` is told, per ended session, with a signed logout token; a
 *    failure there does not stop the logout.
 */

export interface EndSessionDeps extends InteractionDeps {
  /** The claims of an ID token Latchkey signed, checked by signature and issuer only (expiry is no reason to refuse a logout). */
  readonly readIdTokenHint: (token: string) => Promise<Readonly<Record<string, unknown>> | undefined>;
  readonly signer: TokenSigner;
  readonly notifyLogout: (logoutUrl: string, logoutToken: string) => Promise<void>;
}

export interface EndSessionOutcome {
  /** Where to send the browser; absent: show a signed-out page. */
  readonly location?: string;
  /** The environment whose session cookie to clear. */
  readonly environmentId: string;
}

export async function endSession(deps: EndSessionDeps, params: URLSearchParams, sessionCookieOf: (environmentId: string) => string | undefined): Promise<EndSessionOutcome> {
  const hintText = params.get('id_token_hint');
  const hint = hintText ? await deps.readIdTokenHint(hintText) : undefined;
  if (hintText && !hint) throw new InvalidRequest('id_token_hint is not an ID token of this issuer');
  const hintClientId = hint ? (Array.isArray(hint.aud) ? hint.aud[0] : hint.aud) : undefined;
  const clientId = params.get('client_id') ?? undefined;
  if (clientId && hintClientId && clientId !== hintClientId) throw new InvalidRequest('client_id is not the audience of id_token_hint');
  const named = clientId ?? (typeof hintClientId === 'string' ? hintClientId : undefined);
  if (!named) throw new InvalidRequest('send id_token_hint or client_id to log out');
  const parsed = parseClientId(named);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  if (client?.protocol !== 'oidc') throw new InvalidRequest('the client to log out of is not a client of this issuer');

  const redirect = params.get('post_logout_redirect_uri');
  if (redirect !== null && !(client.postLogoutRedirectUris ?? []).includes(redirect)) {
    throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
  }

  const ended = new Map<string, { userId: string }>();
  const fromCookie = await findSession(deps, client.environmentId, sessionCookieOf(client.environmentId));
  if (fromCookie) ended.set(fromCookie.id, fromCookie);
  if (hint && typeof hint.sid === 'string' && !ended.has(hint.sid)) {
    const hinted = await deps.authorizations.getSession(client.environmentId, hint.sid);
    if (hinted && hinted.userId === hint.sub) ended.set(hinted.id, hinted);
  }
  for (const sid of ended.keys()) await deps.authorizations.deleteSession(client.environmentId, sid);

  const application = await deps.applications.getApplication(client.environmentId, client.applicationId);
  await Promise.all([...ended].map(([sid, session]) => tellApplication(deps, client, application, sid, session.userId)));

  if (redirect === null) return { environmentId: client.environmentId };
  const location = new URL(redirect);
  const state = params.get('state');
  if (state !== null) location.searchParams.set('state', state);
  return { location: location.href, environmentId: client.environmentId };
}
