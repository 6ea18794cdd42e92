import { exchangeAuthorizationCode, refreshTokens, type TokenSet } from './authorization/grants';
import type { GrantDeps } from './authorization/deps';
import { evaluateAtOnce, throttleClientAuthentication, type BeforeEvaluating, type ThrottleDeps } from './authentication-throttle';
import { LATCHKEY_RESOURCE_KEY } from './builtin-resource';
import { authenticateClient, isRegistryClientId, type AuthenticatedClient, type PresentedClientCredentials } from './clients/authentication';
import { issueClientCredentialsTokenFor, type ClientTokenDeps } from './clients/tokens';
import { InvalidClient, UnauthorizedClient, UnsupportedGrantType } from './errors';
import { parseClientId } from './ids';
import type { StoredServiceAccount } from './model';
import { audienceRequestProblem } from './scopes';
import { authenticateServiceAccountClient, issueForAuthenticatedServiceAccount, type AuthenticatedServiceAccount, type TokenDeps } from './service-account-tokens';

/**
 * The token endpoint (RFC 6749 §3.2) as one pipeline, and the client authentication it shares with
 * introspection, revocation and GraphQL. The HTTP layer only reads the request (`src/http`) and
 * answers; everything between is here, in this order:
 * 1. `grant_type` names a grant of the map below, else `unsupported_grant_type` (before anything is read).
 * 2. The client authenticates through the one chain: a service account with its secret, or a
 *    registry client (`cl_…`) with its registered method (secret, `private_key_jwt`, self-signed
 *    mutual TLS, or none for a public PKCE client), under the failed-authentication throttle
 *    (`authentication-throttle.ts`; 429 with `Retry-After`).
 * 3. The audience the request names is checked only now (scopes.ts `audienceRequestProblem`), so an
 *    unauthenticated caller learns nothing from it and makes Latchkey read nothing it names.
 * 4. The grant runs and its tokens come from the minter (minter.ts).
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
  /** The authorization-code and refresh grants; built only when one of them is asked for. */
  readonly grants: () => GrantDeps;
  readonly throttle: ThrottleDeps;
  readonly log: { warn(message: string, details: Record<string, unknown>): void };
}

/** Where one request came from, and how its refused client authentication is audited. */
export interface ClientRequest {
  /** The address API Gateway saw the request come from, never a header the client sets. */
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
}

/** The RFC 6749 §5.1 answer. */
export interface TokenEndpointAnswer {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
}

type Grant = (deps: TokenEndpointDeps, client: TokenEndpointClient, parameters: TokenParameters) => Promise<TokenEndpointAnswer>;

/** The grants, keyed by `grant_type`: each takes the authenticated client and its own parameters. */
const GRANTS: Readonly<Record<string, Grant>> = {
  /** RFC 6749 §4.4: service accounts (scope aliases, RFC 8707 resources) and OIDC clients. */
  client_credentials: async (deps, client, { scope, resources }) => {
    const request = { ...(scope !== undefined ? { scope } : {}), resources };
    const token =
      client.kind === 'client'
        ? await issueClientCredentialsTokenFor(deps.clients, client.authenticated, request)
        : await issueForAuthenticatedServiceAccount(deps.serviceAccounts, client.authenticated, request);
    return { access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresInSeconds, ...(token.scope ? { scope: token.scope } : {}) };
  },
  /** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
  authorization_code: async (deps, client, { code, redirectUri, codeVerifier }) =>
    answer(await exchangeAuthorizationCode(deps.grants(), oidcClient(client, 'authorization_code'), { code, redirectUri, codeVerifier })),
  /** RFC 6749 §6, rotated on every use. */
  refresh_token: async (deps, client, { refreshToken, scope }) => answer(await refreshTokens(deps.grants(), oidcClient(client, 'refresh_token'), { refreshToken, scope })),
};

/** The `grant_type` values the map serves: what discovery's `grant_types_supported` must list (a test holds them equal). */
export const GRANT_TYPES: readonly string[] = Object.keys(GRANTS);

/** Steps 1 to 4. */
export async function requestToken(
  deps: TokenEndpointDeps,
  request: ClientRequest,
  presented: () => PresentedClientCredentials,
  parameters: TokenParameters,
): Promise<TokenEndpointAnswer> {
  const grant = Object.hasOwn(GRANTS, parameters.grantType) ? GRANTS[parameters.grantType] : undefined;
  if (!grant) throw new UnsupportedGrantType(parameters.grantType);
  const client = await authenticateTokenClient(deps, request, presented());
  // Registry clients' scopes are their own words; only service accounts select audiences by scope.
  const problem = audienceRequestProblem(parameters.resources, client.kind === 'client' ? undefined : parameters.scope);
  if (problem) throw problem;
  return grant(deps, client, parameters);
}

/** Step 2: the one client-authentication chain of the token, introspection and revocation endpoints. */
export async function authenticateTokenClient(deps: TokenEndpointDeps, request: ClientRequest, presented: PresentedClientCredentials): Promise<TokenEndpointClient> {
  return throttledClientAuthentication(deps, request)(presented.clientId, async (beforeEvaluating): Promise<TokenEndpointClient> => {
    if (isRegistryClientId(presented.clientId)) return { kind: 'client', authenticated: await authenticateClient(deps.clients, presented, beforeEvaluating) };
    const authenticated = await authenticateServiceAccountClient(deps.serviceAccounts, presented.clientId, secretOf(presented), {
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

/** Service accounts authenticate with a client secret only. */
function secretOf(client: PresentedClientCredentials): string {
  if (client.method === 'client_secret_basic' || client.method === 'client_secret_post') return client.clientSecret;
  throw new InvalidClient(`service accounts authenticate with a client secret, not ${client.method}`);
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
