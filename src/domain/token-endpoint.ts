import { exchangeAuthorizationCode, refreshTokens, type TokenSet } from './authorization/grants';
import type { GrantDeps } from './authorization/deps';
import { evaluateAtOnce, throttleClientAuthentication, type BeforeEvaluating, type ThrottleDeps } from './authentication-throttle';
import { LATCHKEY_RESOURCE_KEY } from './builtin-resource';
import { authenticateClient, isRegistryClientId, type AuthenticatedClient, type PresentedClientCredentials } from './clients/authentication';
import { issueClientCredentialsTokenFor, type ClientTokenDeps } from './clients/tokens';
import { decodeJwt } from 'jose';
import { tokenRequestKey, type DpopDeps, type PresentedDpop } from './dpop';
import { InvalidClient, InvalidGrant, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from './errors';
import { parseClientId } from './ids';
import type { StoredServiceAccount } from './model';
import { audienceRequestProblem } from './scopes';
import { authenticateServiceAccountClient, issueForAuthenticatedServiceAccount, type AuthenticatedServiceAccount, type TokenDeps } from './service-account-tokens';
import { authenticateServiceAccountWithKey, refuseServiceAccountMethod, type KeyAssertionDeps } from './service-account-keys';
import { exchangeToken, serviceAccountActor, TOKEN_EXCHANGE_GRANT, type ExchangeActor, type TokenExchangeDeps } from './token-exchange';

/**
 * The token endpoint (RFC 6749 §3.2) as one pipeline, and the client authentication it shares with
 * introspection, revocation and GraphQL. The HTTP layer only reads the request (`src/http`) and
 * answers; everything between is here, in this order:
 * 1. `grant_type` names a grant of the map below, else `unsupported_grant_type` (before anything is read).
 * 2. The client authenticates through the one chain: a service account with its secret or an
 *    assertion signed with one of its keys (`private_key_jwt`), or a registry client (`cl_…`) with
 *    its registered method (secret, `private_key_jwt`, self-signed mutual TLS, or none for a public
 *    PKCE client), under the failed-authentication throttle (`authentication-throttle.ts`; 429 with
 *    `Retry-After`). A service account is registered for its secret (HTTP Basic or form) and, while
 *    it has a live key, `private_key_jwt`; another method is `invalid_client` whose
 *    `error_description` names the registered ones. With the JWT bearer grant (RFC 7523 §2.1) the grant's assertion is what
 *    authenticates the service account, through the same chain; its refusals are `invalid_grant`.
 * 3. The audience the request names is checked only now (scopes.ts `audienceRequestProblem`), so an
 *    unauthenticated caller learns nothing from it and makes Latchkey read nothing it names.
 * 4. A DPoP proof, when sent (or required by the client), is checked (dpop.ts); its key binds the tokens.
 * 5. The grant runs and its tokens come from the minter (minter.ts).
 * Every failed authentication is logged as a warning `client authentication failed` with the client
 * ID (only when it has the shape of one: a client that swapped its fields would log its secret) and
 * the source address; one the throttle let through to evaluation also leaves an audit event.
 */

/** Everything the pipeline needs, from the composition root (`tokenEndpointDeps()`). */
export interface TokenEndpointDeps {
  /** Service-account authentication and tokens. */
  readonly serviceAccounts: TokenDeps;
  /** Registry-client authentication and client-credentials tokens. */
  readonly clients: ClientTokenDeps;
  /** Service-account keys, for assertions signed with them. */
  readonly serviceAccountKeys: KeyAssertionDeps;
  /** The authorization-code and refresh grants; built only when one of them is asked for. */
  readonly grants: () => GrantDeps;
  /** Token exchange (RFC 8693); built only when it is asked for. */
  readonly exchange: () => TokenExchangeDeps;
  readonly throttle: ThrottleDeps;
  /** DPoP proofs (RFC 9449): the clock and the replay records. */
  readonly dpop: DpopDeps;
  readonly log: { warn(message: string, details: Record<string, unknown>): void };
}

/** Where one request came from, and how its refused client authentication is audited. */
export interface ClientRequest {
  /** The client's address as the HTTP layer established it (`clientAddress`), never a header the client sets. */
  readonly sourceIp: string;
  /** Writes the audit event of a refused client authentication (the HTTP layer knows the request's origin). */
  readonly auditRefusal: (clientId: string, errorCode: string) => Promise<void>;
}

/** A client the chain has authenticated: a service account, or a registry client (`cl_…`). */
export type TokenEndpointClient =
  | { readonly kind: 'service-account'; readonly authenticated: AuthenticatedServiceAccount }
  | { readonly kind: 'client'; readonly authenticated: AuthenticatedClient };

/** An authenticated client as introspection and revocation see it: a service account or a registry client. */
export interface OAuthClient {
  readonly environmentId: string;
  /** The `sub` of the client's own tokens: the service account or registry client ID. */
  readonly principalId: string;
  readonly clientId: string;
  /** Holds SERVICE_ACCOUNTS_EDIT on `latchkey`, so may revoke any token of its environment. */
  readonly mayRevokeAny: boolean;
}

/** The parameters of a token request, as read from its form. */
export interface TokenParameters {
  readonly grantType: string;
  readonly scope?: string;
  /** RFC 8707 `resource` values, in order. */
  readonly resources: readonly string[];
  readonly code?: string;
  readonly redirectUri?: string;
  readonly codeVerifier?: string;
  readonly refreshToken?: string;
  /** The JWT bearer grant's assertion (RFC 7523 §2.1). */
  readonly assertion?: string;
  /** RFC 8693 §2.1, for token exchange. */
  readonly subjectToken?: string;
  readonly subjectTokenType?: string;
  readonly actorToken?: string;
  readonly actorTokenType?: string;
  readonly requestedTokenType?: string;
  readonly audiences?: readonly string[];
  /** The request's `DPoP` header (RFC 9449 §4), with the method and URL the proof must name. */
  readonly dpop?: PresentedDpop;
}

/** The RFC 6749 §5.1 answer. */
export interface TokenEndpointAnswer {
  readonly access_token: string;
  /** `DPoP` for a token bound to the request's DPoP proof key (RFC 9449 §5). */
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  /** RFC 8693 §2.2.1, on an exchanged token. */
  readonly issued_token_type?: string;
}

/** RFC 7523 §2.1's `grant_type`. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A grant's parameters, with the thumbprint of the DPoP proof's key when the request had a proof. */
type GrantParameters = TokenParameters & { readonly dpopKeyThumbprint?: string };

type Grant = (deps: TokenEndpointDeps, client: TokenEndpointClient, parameters: GrantParameters) => Promise<TokenEndpointAnswer>;

/** The grants, keyed by `grant_type`: each takes the authenticated client and its own parameters. */
const GRANTS: Readonly<Record<string, Grant>> = {
  /** RFC 6749 §4.4: service accounts (scope aliases, RFC 8707 resources) and OIDC clients. */
  client_credentials: async (deps, client, { scope, resources, dpopKeyThumbprint }) => {
    const request = { ...(scope !== undefined ? { scope } : {}), resources, ...(dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint } : {}) };
    const token =
      client.kind === 'client'
        ? await issueClientCredentialsTokenFor(deps.clients, client.authenticated, request)
        : await issueForAuthenticatedServiceAccount(deps.serviceAccounts, client.authenticated, request);
    return { access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresInSeconds, ...(token.scope ? { scope: token.scope } : {}) };
  },
  /** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
  authorization_code: async (deps, client, { code, redirectUri, codeVerifier, dpopKeyThumbprint }) =>
    answer(await exchangeAuthorizationCode(deps.grants(), oidcClient(client, 'authorization_code'), { code, redirectUri, codeVerifier, dpopKeyThumbprint })),
  /** RFC 6749 §6, rotated on every use. */
  refresh_token: async (deps, client, { refreshToken, scope, dpopKeyThumbprint }) =>
    answer(await refreshTokens(deps.grants(), oidcClient(client, 'refresh_token'), { refreshToken, scope, dpopKeyThumbprint })),
  /** RFC 7523 §2.1: the service account the assertion authenticated gets its client-credentials token. */
  [JWT_BEARER_GRANT_TYPE]: (deps, client, parameters) => GRANTS.client_credentials!(deps, client, parameters),
  /** RFC 8693: a service account holding TOKEN_EXCHANGE, or a confidential client allowed to, trades a subject's token for a narrower one (token-exchange.ts). */
  [TOKEN_EXCHANGE_GRANT]: async (deps, client, parameters) => {
    const { subjectToken, subjectTokenType, actorToken, actorTokenType, requestedTokenType, scope, resources, audiences = [] } = parameters;
    const token = await exchangeToken(deps.exchange(), exchangeActor(client), {
      ...{ subjectToken, subjectTokenType, actorToken, actorTokenType, requestedTokenType, scope },
      resources,
      audiences,
    });
    return { access_token: token.accessToken, issued_token_type: token.issuedTokenType, token_type: 'Bearer', expires_in: token.expiresInSeconds };
  },
};

/** The `grant_type` values the map serves: what discovery's `grant_types_supported` must list (a test holds them equal). */
export const GRANT_TYPES: readonly string[] = Object.keys(GRANTS);

/** Steps 1 to 5. */
export async function requestToken(
  deps: TokenEndpointDeps,
  request: ClientRequest,
  presented: () => PresentedClientCredentials,
  parameters: TokenParameters,
): Promise<TokenEndpointAnswer> {
  const grant = Object.hasOwn(GRANTS, parameters.grantType) ? GRANTS[parameters.grantType] : undefined;
  if (!grant) throw new UnsupportedGrantType(parameters.grantType);
  const client =
    parameters.grantType === JWT_BEARER_GRANT_TYPE
      ? await authenticateBearerAssertion(deps, request, parameters.assertion)
      : await authenticateTokenClient(deps, request, presented());
  // Registry clients' scopes are their own words; only service accounts select audiences by scope.
  const problem = audienceRequestProblem([...parameters.resources, ...(parameters.audiences ?? [])], client.kind === 'client' ? undefined : parameters.scope);
  if (problem) throw problem;
  const dpopKeyThumbprint = await dpopKeyOf(deps, client, parameters.dpop);
  return grant(deps, client, { ...parameters, ...(dpopKeyThumbprint !== undefined ? { dpopKeyThumbprint } : {}) });
}

/** Step 4: the proof is checked in the client's environment; a client or service account with `requireDpop` must send one. */
function dpopKeyOf(deps: TokenEndpointDeps, client: TokenEndpointClient, presented: PresentedDpop | undefined): Promise<string | undefined> {
  const registered = client.kind === 'client' ? client.authenticated.client : client.authenticated.account;
  const { environmentId } = registered;
  const required = registered.requireDpop === true;
  return tokenRequestKey(deps.dpop, environmentId, presented ?? { proof: undefined, method: 'POST', url: '' }, required);
}

/** Step 2: the one client-authentication chain of the token, introspection and revocation endpoints. */
export async function authenticateTokenClient(deps: TokenEndpointDeps, request: ClientRequest, presented: PresentedClientCredentials): Promise<TokenEndpointClient> {
  return throttledClientAuthentication(deps, request)(presented.clientId, async (beforeEvaluating): Promise<TokenEndpointClient> => {
    if (isRegistryClientId(presented.clientId)) return { kind: 'client', authenticated: await authenticateClient(deps.clients, presented, beforeEvaluating) };
    if (presented.method === 'private_key_jwt') {
      const keyDeps = { ...deps.serviceAccountKeys, store: deps.serviceAccounts.store };
      return { kind: 'service-account', authenticated: await authenticateServiceAccountWithKey(keyDeps, presented.clientId, presented.assertion, { beforeEvaluating }) };
    }
    if (presented.method === 'self_signed_tls_client_auth') {
      return refuseServiceAccountMethod({ ...deps.serviceAccountKeys, store: deps.serviceAccounts.store }, presented.clientId);
    }
    const authenticated = await authenticateServiceAccountClient(deps.serviceAccounts, presented.clientId, presented.clientSecret, {
      basicScheme: presented.method === 'client_secret_basic',
      beforeEvaluating,
    });
    return { kind: 'service-account', authenticated };
  });
}

/**
 * Who is calling introspection or revocation, authenticated by the chain. A public client proves
 * nothing by its `client_id` alone, so it may not ask about the environment's tokens; revocation
 * lets it in (`publicClients: true`) to revoke only the tokens issued to it (RFC 7009 §2.1).
 */
export async function authenticateOAuthClient(
  deps: TokenEndpointDeps,
  request: ClientRequest,
  presented: PresentedClientCredentials,
  options: { publicClients?: boolean } = {},
): Promise<OAuthClient> {
  const caller = await authenticateTokenClient(deps, request, presented);
  if (caller.kind === 'service-account') return serviceAccountClient(caller.authenticated.account);
  const { client, publicClient } = caller.authenticated;
  if (publicClient && !options.publicClients) throw new InvalidClient(`public client ${client.id} tried introspection`);
  return { environmentId: client.environmentId, principalId: client.id, clientId: client.clientId, mayRevokeAny: false };
}

/** A service account as a revoking client: it may revoke any token when it holds SERVICE_ACCOUNTS_EDIT. */
export function serviceAccountClient(account: StoredServiceAccount): OAuthClient {
  return {
    environmentId: account.environmentId,
    principalId: account.id,
    clientId: account.clientId,
    mayRevokeAny: account.grants[LATCHKEY_RESOURCE_KEY]?.includes('SERVICE_ACCOUNTS_EDIT') ?? false,
  };
}

/**
 * Runs a client authentication (and what follows it) under the failed-authentication throttle;
 * the authentication calls `beforeEvaluating` between reading the client and evaluating its credentials.
 */
export type ClientAuthenticationThrottle = <T>(clientId: string, authenticate: (beforeEvaluating: BeforeEvaluating) => Promise<T>) => Promise<T>;

/**
 * The one throttle of client authentication, for the token endpoint, introspection, revocation and
 * GraphQL `authenticateServiceAccount`: counted per client ID and source address. A client ID that
 * is not a Latchkey client ID is refused without evaluating anything, so it is not counted.
 * Attempts refused with 429 are not logged one by one: the `ClientAuthenticationThrottled` metric counts them.
 */
export function throttledClientAuthentication(deps: Pick<TokenEndpointDeps, 'throttle' | 'log'>, request: ClientRequest): ClientAuthenticationThrottle {
  const address = request.sourceIp;
  return async <T>(clientId: string, authenticate: (beforeEvaluating: BeforeEvaluating) => Promise<T>): Promise<T> => {
    const wellFormed = parseClientId(clientId) !== undefined;
    // The credentials the throttle let through to evaluation and that were refused: each such
    // failure leaves an audit event. A 429 refused before evaluation does not (a metric counts it),
    // and a client that authenticates costs the audit log nothing.
    let refused: InvalidClient | undefined;
    const evaluated = (beforeEvaluating: BeforeEvaluating): Promise<T> =>
      authenticate(beforeEvaluating).catch((error: unknown) => {
        if (error instanceof InvalidClient) refused = error;
        throw error;
      });
    try {
      return wellFormed ? await throttleClientAuthentication(deps.throttle, { clientId, address }, evaluated) : await authenticate(evaluateAtOnce);
    } catch (error) {
      if (error instanceof InvalidClient) {
        deps.log.warn('client authentication failed', {
          ...(wellFormed ? { clientId } : { clientId: 'malformed' }),
          sourceIp: address,
          ...(error.internalDetail ? { reason: error.internalDetail } : {}),
        });
      }
      if (refused) await request.auditRefusal(clientId, refused.code);
      throw error;
    }
  };
}

/**
 * RFC 7523 §2.1: the assertion names the service account (`iss`) and authenticates it, through the
 * one chain and its throttle. A refusal is `invalid_grant` (§3.1) with the same safe description
 * whatever the reason (the log has it), counted and audited as a failed client authentication.
 * Client credentials sent besides the assertion are not read: the assertion decides.
 */
async function authenticateBearerAssertion(deps: TokenEndpointDeps, request: ClientRequest, assertion: string | undefined): Promise<TokenEndpointClient> {
  if (!assertion) throw new InvalidRequest(`assertion is required with grant_type ${JWT_BEARER_GRANT_TYPE}`);
  const issuer = unverifiedIssuer(assertion);
  if (issuer === undefined || isRegistryClientId(issuer)) {
    throw new InvalidGrant('the assertion must be a JWT whose iss and sub are the client ID of a service account');
  }
  const asGrant: ClientRequest = { ...request, auditRefusal: (clientId) => request.auditRefusal(clientId, 'invalid_grant') };
  try {
    return await authenticateTokenClient(deps, asGrant, { method: 'private_key_jwt', clientId: issuer, assertion });
  } catch (error) {
    if (error instanceof InvalidClient) throw new InvalidGrant('the assertion was refused', error.internalDetail);
    throw error;
  }
}

function unverifiedIssuer(assertion: string): string | undefined {
  try {
    const { iss } = decodeJwt(assertion);
    return typeof iss === 'string' && iss ? iss : undefined;
  } catch {
    return undefined;
  }
}

function answer(set: TokenSet): TokenEndpointAnswer {
  return {
    access_token: set.accessToken,
    token_type: set.tokenType,
    expires_in: set.expiresInSeconds,
    ...(set.scope ? { scope: set.scope } : {}),
    ...(set.idToken ? { id_token: set.idToken } : {}),
    ...(set.refreshToken ? { refresh_token: set.refreshToken } : {}),
  };
}

/** Grants of end users are for OIDC clients only; a service account has no end user. */
function oidcClient(client: TokenEndpointClient, grantType: string): AuthenticatedClient {
  if (client.kind !== 'client') throw new UnauthorizedClient(`service accounts cannot use the ${grantType} grant`);
  return client.authenticated;
}

/** The caller of a token exchange; a public client proves nothing by its `client_id`, so it never may. */
function exchangeActor(client: TokenEndpointClient): ExchangeActor {
  if (client.kind === 'service-account') return serviceAccountActor(client.authenticated.account);
  const { client: registered, publicClient } = client.authenticated;
  return { environmentId: registered.environmentId, id: registered.id, clientId: registered.clientId, mayExchange: registered.tokenExchange === true && !publicClient };
}
