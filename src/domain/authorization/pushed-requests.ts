import { randomBytes } from 'node:crypto';
import type { StoredOidcClient } from '../clients/model';
import { AuthorizationRedirectError, InvalidRequest, LatchkeyError, UnauthorizedClient } from '../errors';
import type { PresentedClientCredentials } from '../clients/authentication';
import type { Clock, ResourceStore, SecretHasher } from '../ports';
import { authenticateTokenClient, type ClientRequest, type TokenEndpointDeps } from '../token-endpoint';
import { checkCodeRequest } from './authorization-request';
import { seconds } from './deps';
import type { AuthorizationStore } from './ports';

/**
 * Pushed authorization requests (RFC 9126): a client sends its authorization request to
 * `POST /oauth/v2/par` over the back channel, authenticated, and gets a `request_uri` to send the
 * browser to the authorization endpoint with, so the request can be neither read nor changed in the
 * browser.
 *
 * Rules at push time, in order:
 * 1. The client authenticates as at the token endpoint (the one chain of `token-endpoint.ts`, under
 *    its throttle); only OIDC clients push, a service account has no end user (`unauthorized_client`).
 * 2. A `client_id` parameter, if sent, names the authenticated client (§2.1); `request_uri` may not be
 *    pushed (§2.1); no parameter is longer than 2000 characters; the other parameters pass the authorization endpoint's own checks
 *    (`checkCodeRequest`), whose errors are answered here as JSON instead of a redirect (§2.3).
 * 3. The answer is `urn:ietf:params:oauth:request_uri:` and 256 random bits, valid for 60 s (§2.2);
 *    only its keyed hash is stored, with the pushed parameters (less the client's credentials).
 *
 * At the authorization endpoint (`requestParameters`), in order:
 * 4. Without `request_uri`, a client whose `requirePar` is on is refused (§6); others go on as usual.
 * 5. With it, the request is taken once, by the client that pushed it, before it expires: one
 *    conditional write, so of two uses exactly one succeeds (§4, §7.3). Only the pushed parameters
 *    count; everything else the browser brought besides `client_id` is ignored (§4).
 */

export const PUSHED_REQUEST_TTL_SECONDS = 60;
const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** The client's credentials in the form are never stored with the request. */
const CLIENT_AUTHENTICATION_PARAMETERS = ['client_secret', 'client_assertion', 'client_assertion_type'];
/** As at the authorization endpoint, whose URL would otherwise have carried them. */
const MAX_PARAMETER_LENGTH = 2000;
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;

/** What pushing needs: the token endpoint's client authentication, the request checks and the store. */
export interface PushedRequestDeps {
  readonly tokenEndpoint: TokenEndpointDeps;
  readonly authorizations: Pick<AuthorizationStore, 'putPushedRequest'>;
  readonly resources: ResourceStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
}

/** The RFC 9126 §2.2 answer. */
export interface PushedRequestAnswer {
  readonly request_uri: string;
  readonly expires_in: number;
}

/** Rules 1 to 3. */
export async function pushAuthorizationRequest(
  deps: PushedRequestDeps,
  request: ClientRequest,
  presented: () => PresentedClientCredentials,
  params: URLSearchParams,
): Promise<PushedRequestAnswer> {
  const caller = await authenticateTokenClient(deps.tokenEndpoint, request, presented());
  if (caller.kind !== 'client') throw new UnauthorizedClient('service accounts cannot push authorization requests');
  const { client } = caller.authenticated;
  const named = params.getAll('client_id');
  if (named.length > 1 || (named.length === 1 && named[0] !== client.clientId)) throw new InvalidRequest('client_id must be the authenticated client');
  if (params.has('request_uri')) throw new InvalidRequest('request_uri must not be pushed');
  for (const [name, value] of params) {
    if (value.length > MAX_PARAMETER_LENGTH) throw new InvalidRequest(`parameter "${name}" is longer than ${MAX_PARAMETER_LENGTH} characters`);
  }
  try {
    await checkCodeRequest(deps, client, params);
  } catch (error) {
    // The client is on the line: it hears the error itself, not through a redirect.
    if (error instanceof AuthorizationRedirectError) throw new LatchkeyError(400, error.code, error.message);
    throw error;
  }
  const parameters = new URLSearchParams(params);
  for (const name of CLIENT_AUTHENTICATION_PARAMETERS) parameters.delete(name);
  parameters.set('client_id', client.clientId);
  const requestUri = `${REQUEST_URI_PREFIX}${randomBytes(32).toString('base64url')}`;
  await deps.authorizations.putPushedRequest({
    environmentId: client.environmentId,
    requestUriHash: await deps.hasher.hash(requestUri),
    clientRef: client.id,
    parameters: parameters.toString(),
    expiresAt: seconds(deps.now) + PUSHED_REQUEST_TTL_SECONDS,
  });
  return { request_uri: requestUri, expires_in: PUSHED_REQUEST_TTL_SECONDS };
}

/** What the authorization endpoint needs to take a pushed request. */
export interface PushedRequestUseDeps {
  readonly authorizations: Pick<AuthorizationStore, 'consumePushedRequest'>;
  readonly hasher: SecretHasher;
  readonly now: Clock;
}

/** Rules 4 and 5: the parameters an OIDC client's authorization request stands for. */
export async function requestParameters(deps: PushedRequestUseDeps, client: StoredOidcClient, params: URLSearchParams): Promise<URLSearchParams> {
  const requestUri = params.get('request_uri');
  if (requestUri === null) {
    if (client.requirePar) throw new InvalidRequest('this client must push its authorization requests to /oauth/v2/par and send the request_uri it answers');
    return params;
  }
  if (params.getAll('request_uri').length > 1 || !REQUEST_URI.test(requestUri)) throw new InvalidRequest('request_uri is not one Latchkey issued');
  const pushed = await deps.authorizations.consumePushedRequest(client.environmentId, await deps.hasher.hash(requestUri), client.id, seconds(deps.now));
  if (!pushed) throw new InvalidRequest('request_uri is unknown, expired or already used; push the authorization request again');
  return new URLSearchParams(pushed.parameters);
}
