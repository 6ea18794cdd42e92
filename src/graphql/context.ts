import type { Caller } from '../domain/caller';
import { evaluateAtOnce } from '../domain/authentication-throttle';
import type { ClientAuthenticationThrottle } from '../domain/token-endpoint';
import type { TokenDeps } from '../domain/service-account-tokens';
import type { DelegatedTokenDeps } from '../domain/delegated-tokens';

/**
 * What a GraphQL resolver may use. Built once per request by the handler.
 *
 * The Authorization header is carried raw and verified only when a resolver asks for `caller()`:
 * `authenticateServiceAccount` needs no bearer token (it is how one gets a token), while secured
 * operations (such as a delegated-token mutation, which needs a service-account token holding a
 * permission) call `await context.caller()` and then check the permission they need.
 */
export interface GraphqlDeps {
  /** The same dependencies the OAuth token endpoint uses: one issuance path for both surfaces. */
  readonly tokens: TokenDeps;
  /** Called once per token issued, for metrics. */
  readonly tokenIssued?: () => void;
  /** What `generateDelegatedAccessToken` needs; a getter, so it is built only when that mutation runs. */
  readonly delegated?: () => DelegatedTokenDeps;
}

export interface GraphqlContext {
  readonly deps: GraphqlDeps;
  /** The request's `Authorization` header as received, unparsed. */
  readonly authorization: string | undefined;
  /**
   * The caller behind the bearer token: verified on first use and remembered for the rest of the
   * request. Rejects with `TokenRequired` or `InvalidToken` (GraphQL code `UNAUTHENTICATED`).
   */
  caller(): Promise<Caller>;
  /**
   * Runs a client authentication under the failed-authentication throttle of the request's source
   * address (`src/domain/token-endpoint.ts`), as the token endpoint does.
   */
  throttleClientAuthentication: ClientAuthenticationThrottle;
}

/** For resolvers run without HTTP (unit tests): nothing counts failures. */
const unthrottled: ClientAuthenticationThrottle = (_clientId, authenticate) => authenticate(evaluateAtOnce);

export function createGraphqlContext(
  deps: GraphqlDeps,
  authorization: string | undefined,
  authenticate: () => Promise<Caller>,
  throttle: ClientAuthenticationThrottle = unthrottled,
): GraphqlContext {
  let caller: Promise<Caller> | undefined;
  return {
    deps,
    authorization,
    caller: () => (caller ??= authenticate()),
    throttleClientAuthentication: throttle,
  };
}
