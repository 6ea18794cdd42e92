import type { StoredApplication } from '../applications';
import { InvalidRequest } from '../errors';
import { isId, parseClientId } from '../ids';
import { endSessionAndTell, type BackChannelLogoutDeps } from './back-channel-logout';
import { seconds, type InteractionDeps } from '../login/deps';
import type { SessionRecord, UpstreamSessionLink } from '../login/model';
import { findSession } from '../login/sessions';

/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2, §3), with back-channel logout
 * tokens (OpenID Connect Back-Channel Logout 1.0 §2.4) to the application's `logoutUrl`.
 *
 * Rules, in the order they are checked (a failure is an error page, never a redirect):
 * 1. The client is named by `id_token_hint` or `client_id`; when both are sent they agree. A hint is
 *    an ID token Latchkey signed (signature, issuer and `typ: JWT` checked; an access or logout
 *    token is refused), expired or not, whose audience is one client (and `azp`, when present, the
 *    same) and whose subject is named.
 * 2. `post_logout_redirect_uri`, when sent, is one of the client's registered
 *    `postLogoutRedirectUris`, compared exactly.
 * 3. The session ends at once only for a hint that has not expired and whose subject is the user
 *    of the browser's session (or the browser has none). Otherwise (no hint, an expired one, another
 *    user's) the end user is asked first, on a Latchkey page that posts back with a confirmation
 *    bound to the browser (RP-Initiated Logout 1.0 §2): a cross-site link cannot log anyone out.
 * 4. The browser's session in the client's environment ends, and so does the hint's `sid` when it
 *    is the hint's subject's; their records are deleted, so `prompt=none` finds no session.
 * 5. The application of every OIDC client each ended session signed in to (the client logging out
 *    among them) is told at its `logoutUrl` with a signed logout token, as when the user is signed
 *    out everywhere; a failure there does not stop the logout.
 * 6. A session an upstream identity provider's login made sends the browser on to that provider's
 *    logout (`src/domain/federation/upstream-logout.ts`), which returns it to the post-logout URI.
 */

export interface EndSessionDeps extends InteractionDeps, BackChannelLogoutDeps {
  /**
   * The claims of an ID token Latchkey signed, checked by signature, issuer and `typ: JWT` only
   * (expiry is no reason to refuse a logout, only to ask first); undefined for anything else.
   */
  readonly readIdTokenHint: (token: string) => Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Where the browser goes to end an upstream session too, if it has one to end (rule 6). */
  readonly upstreamLogout?: (environmentId: string, link: UpstreamSessionLink | undefined, after: { uri: string; state?: string } | undefined) => Promise<string | undefined>;
}

/** The parameters a confirmed logout posts back, as they came. */
const CONFIRMED_PARAMETERS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;

export type EndSessionOutcome =
  | {
      readonly ended: true;
      /** Where to send the browser; absent: show a signed-out page. */
      readonly location?: string;
      /** The environment whose session cookie to clear. */
      readonly environmentId: string;
    }
  | {
      /** Nothing has ended: the end user is asked first. */
      readonly ended: false;
      /** The name of the client asking, to show. */
      readonly clientName: string;
      /** The request's logout parameters, to post back with the confirmation. */
      readonly parameters: Readonly<Record<string, string>>;
    };

/**
 * `confirmed`: the end user has confirmed this logout on Latchkey's page, from this browser (the
 * HTTP layer checks the confirmation against the browser's cookie).
 */
export async function endSession(
  deps: EndSessionDeps,
  params: URLSearchParams,
  sessionCookieOf: (environmentId: string) => string | undefined,
  confirmed = false,
): Promise<EndSessionOutcome> {
  const hintText = params.get('id_token_hint');
  const hint = hintText ? await deps.readIdTokenHint(hintText) : undefined;
  if (hintText && !hint) throw new InvalidRequest('id_token_hint is not an ID token of this issuer');
  const hintClientId = hint ? audienceOf(hint) : undefined;
  if (hint && (!hintClientId || typeof hint.sub !== 'string')) throw new InvalidRequest('id_token_hint is not an ID token of this issuer');
  const clientId = params.get('client_id') ?? undefined;
  if (clientId && hintClientId && clientId !== hintClientId) throw new InvalidRequest('client_id is not the audience of id_token_hint');
  const named = clientId ?? hintClientId;
  if (!named) throw new InvalidRequest('send id_token_hint or client_id to log out');
  const parsed = parseClientId(named);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  if (client?.protocol !== 'oidc') throw new InvalidRequest('the client to log out of is not a client of this issuer');

  const redirect = params.get('post_logout_redirect_uri');
  if (redirect !== null && !(client.postLogoutRedirectUris ?? []).includes(redirect)) {
    throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
  }

  const fromCookie = await findSession(deps, client.environmentId, sessionCookieOf(client.environmentId));
  const fresh = hint !== undefined && typeof hint.exp === 'number' && hint.exp > seconds(deps.now);
  const atOnce = fresh && (!fromCookie || fromCookie.userId === hint.sub);
  if (!atOnce && !confirmed) {
    const parameters: Record<string, string> = {};
    for (const name of CONFIRMED_PARAMETERS) {
      const value = params.get(name);
      if (value !== null) parameters[name] = value;
    }
    return { ended: false, clientName: client.name, parameters };
  }

  const ended = new Map<string, SessionRecord>();
  if (fromCookie) ended.set(fromCookie.id, fromCookie);
  if (hint && typeof hint.sid === 'string' && !ended.has(hint.sid)) {
    const hinted = await deps.authorizations.getSession(client.environmentId, hint.sid);
    if (hinted && hinted.userId === hint.sub) ended.set(hinted.id, hinted);
  }
  // Every application the session signed in to hears of it, as when the user is signed out
  // everywhere; the client logging out too, also for a session recorded before sessions kept their clients.
  const applications = new Map<string, Promise<StoredApplication | undefined>>();
  await Promise.all([...ended.values()].map((session) => endSessionAndTell(deps, session, { applications, alsoTell: [client.id] })));

  const state = params.get('state');
  const upstream = [...ended.values()].find((session) => session.upstream)?.upstream;
  const upstreamLocation =
    upstream && deps.upstreamLogout
      ? await deps.upstreamLogout(client.environmentId, upstream, redirect === null ? undefined : { uri: redirect, ...(state !== null ? { state } : {}) })
      : undefined;
  if (upstreamLocation) return { ended: true, location: upstreamLocation, environmentId: client.environmentId };
  if (redirect === null) return { ended: true, environmentId: client.environmentId };
  const location = new URL(redirect);
  if (state !== null) location.searchParams.set('state', state);
  return { ended: true, location: location.href, environmentId: client.environmentId };
}

/** The one client an ID token is for: a single audience, which `azp`, when present, repeats. */
function audienceOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const [audience] = audiences;
  if (audiences.length !== 1 || typeof audience !== 'string') return undefined;
  if (claims.azp !== undefined && claims.azp !== audience) return undefined;
  return audience;
}
