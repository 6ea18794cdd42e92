import type { PromptValue, StoredOidcClient } from '../clients/model';
import { PROMPT_VALUES } from '../clients/model';
import { redirectUriRegistered } from '../clients/redirect-uris';
import { comparableAudience } from '../audiences';
import { AuthorizationRedirectError, InvalidRequest } from '../errors';
import { newId } from '../ids';
import type { LoginClient } from '../login/clients';
import { CHALLENGE_TTL_SECONDS, seconds } from '../login/deps';
import { requestedBy, type AuthorizationRequestRecord } from '../login/model';
import type { AuthorizeOutcome, BrowserState } from '../login/outcome';
import { liveSession } from '../login/sessions';
import { loginStep, toLoginPage } from '../login/states';
import { beginUpstream, brokers, choicePageUrl, recordUpstreamFailure, routeUpstream, UpstreamFailure, type BrokeringDeps, type UpstreamRoute } from '../login/upstream';
import { afterLogin } from './code';
import type { OidcLoginDeps } from './deps';

import { splitScope, STANDARD_SCOPES } from '../scopes';
/**
 * The start of an OIDC login at the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core
 * §3.1.2).
 *
 * Rules, in the order they are checked:
 * 1. `redirect_uri` is one of the client's registered URIs, compared exactly (RFC 9700 §4.1), but
 *    for the port of a native client's loopback IP redirect (RFC 8252 §7.3, `redirect-uris.ts`).
 *    Failing it, the browser gets an error page and is never redirected.
 * 2. Everything else fails by redirecting to that URI with `error`, `state` and `iss` (RFC 9207):
 *    `request`/`request_uri` are not supported (a pushed request's `request_uri` is resolved before,
 *    in `pushed-requests.ts`); `response_type` is `code`; `response_mode` is
 *    `query`; every `scope` value is a standard OpenID scope or one the client lists; every `prompt`
 *    value is one the client allows, and `none` stands alone; PKCE uses `S256` only (RFC 9700
 *    §2.1.1), and is required unless the client's PKCE mode is `allow`; `max_age` is a whole number;
 *    at most one `resource` (RFC 8707), one the client may request.
 * 3. A live browser session of the environment logs the end user in, unless `prompt=login` or
 *    `max_age` ask for a fresh login; `prompt=none` without one answers `login_required`.
 * 4. Otherwise the request is stored with a login challenge and the browser goes to the
 *    application's `loginUrl`, bound to this browser by a cookie; an application without one sends
 *    the browser to its upstream identity provider (`login/upstream.ts`: `idp_hint`, `login_hint`,
 *    or the choice page), and an `idp_hint` that names no connection of it is refused.
 */

const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const SINGLE_PARAMETERS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'prompt',
  'max_age',
  'code_challenge',
  'code_challenge_method',
  'login_hint',
  'idp_hint',
];

/** An authorization request whose parameters passed rule 2, and how to answer its client with an error. */
export interface CheckedCodeRequest {
  readonly redirectUri: string;
  readonly state?: string;
  readonly fail: (code: string, message: string) => AuthorizationRedirectError;
  readonly scopes: string[];
  readonly prompt: string[];
  readonly codeChallenge?: string;
  readonly maxAge?: number;
  readonly resource?: string;
}

/**
 * Rules 1 and 2: the checks of an authorization request's parameters, shared by the authorization
 * endpoint and the pushed authorization request endpoint (RFC 9126 §2.1, `pushed-requests.ts`).
 */
export async function checkCodeRequest(deps: Pick<OidcLoginDeps, 'issuer' | 'resources'>, client: StoredOidcClient, params: URLSearchParams): Promise<CheckedCodeRequest> {
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw new InvalidRequest('redirect_uri is required');
  if (!redirectUriRegistered(client.redirectUris, redirectUri, client.clientType)) throw new InvalidRequest('redirect_uri is not registered for this client');
  for (const name of SINGLE_PARAMETERS) {
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
  const [requested] = resources;
  if (requested !== undefined) {
    const allowed = await deps.resources.getResources(
      client.environmentId,
      client.resources.map((entry) => entry.resource),
    );
    resource = allowed.find((candidate) => candidate.key === requested || comparableAudience(candidate.audience) === comparableAudience(requested))?.key;
    if (!resource) throw fail('invalid_target', `resource "${requested}" is not one this client may request`);
  }
  return {
    redirectUri,
    ...(state !== undefined ? { state } : {}),
    fail,
    scopes,
    prompt,
    ...(codeChallenge !== undefined ? { codeChallenge } : {}),
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(resource !== undefined ? { resource } : {}),
  };
}

export async function startCodeRequest(
  deps: OidcLoginDeps & BrokeringDeps,
  { client, application }: LoginClient<StoredOidcClient>,
  params: URLSearchParams,
  browser: BrowserState,
): Promise<AuthorizeOutcome> {
  const { redirectUri, state, fail, scopes, prompt, codeChallenge, maxAge, resource } = await checkCodeRequest(deps, client, params);
  const now = seconds(deps.now);
  const session = await liveSession(deps, client.environmentId, browser.sessionOf(client.environmentId));
  const freshLoginAsked = prompt.includes('login') || (session !== undefined && maxAge !== undefined && now - session.authTime > maxAge);
  if (prompt.includes('none') && (!session || freshLoginAsked)) throw fail('login_required', 'the end user is not logged in');
  const useSession = session !== undefined && !freshLoginAsked;
  const loginUrl = useSession ? undefined : application.loginUrl;
  const loginHint = params.get('login_hint') ?? undefined;
  let route: UpstreamRoute | undefined;
  if (!useSession && !loginUrl) {
    const idpHint = params.get('idp_hint') ?? undefined;
    route = brokers(deps)
      ? await routeUpstream(deps, client.environmentId, application.id, { ...(loginHint !== undefined ? { loginHint } : {}), ...(idpHint !== undefined ? { idpHint } : {}) })
      : { kind: 'none' };
    if (route.kind === 'none') throw fail('unauthorized_client', 'the application of this client has no loginUrl or identity provider to log end users in');
    if (route.kind === 'bad_hint') throw fail('invalid_request', 'idp_hint does not name an identity provider of this application');
  }

  const id = newId('azr');
  const step = await loginStep(deps, id, useSession ? session : undefined);
  const nonce = params.get('nonce') ?? undefined;
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
    ...step.changes,
    createdAt: new Date(deps.now()).toISOString(),
    expiresAt: now + CHALLENGE_TTL_SECONDS,
  };
  if (route?.kind === 'connection' && brokers(deps)) {
    try {
      const { location, upstream } = await beginUpstream(deps, record, route.connection);
      await deps.authorizations.putRequest({ ...record, upstream });
      return { location, binding: step.binding };
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      await recordUpstreamFailure(deps, record, route.connection, error);
      throw new AuthorizationRedirectError(error.error, 'the identity provider could not be reached; try again later', redirectUri, state, deps.issuer, {
        internalDetail: `upstream login failed (${error.code}): ${error.message}`,
      });
    }
  }
  await deps.authorizations.putRequest(record);
  if (route?.kind === 'choose') return { location: choicePageUrl(deps.issuer, record), binding: step.binding };
  if (step.challenge !== undefined && loginUrl) return toLoginPage(loginUrl, step.challenge, step.binding);
  const outcome = await afterLogin(deps, client, application, record);
  // Straight to the code: no binding to set; on to consent: the browser must come back with it.
  return outcome.clearBinding ? { ...outcome, clearBinding: undefined } : { ...outcome, binding: step.binding };
}
