import type { Context } from 'aws-lambda';
import { clock, issuer, signingKeys, pepperHasher, store, tokenStore } from '../adapters/from-environment';
import type { Caller } from '../domain/caller';
import { authenticateCaller } from './authenticate';
import { httpHandler, type HttpEvent, type HttpResult } from './handler';

/**
 * A management API operation: problem+json errors, and the caller established from the bearer
 * token before the operation runs. The caller's environment is the only one it can touch.
 */
export function managementHandler(fn: (event: HttpEvent, caller: Caller, context: Context) => Promise<HttpResult>) {
  return httpHandler({ errors: 'problem' }, async (event, context) => fn(event, await authenticateCaller(event), context));
}

/** What management domain functions need; built on first use, once per container. */
export function managementDeps() {
  return { store: store(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

/** What issuing a service-account token needs (token endpoint, GraphQL, minting): signer and opaque-token store too. */
export function tokenDeps() {
  return { ...managementDeps(), signer: signingKeys(), opaqueTokens: tokenStore() };
}

/** The `{id}`-style path parameter, which the route guarantees. */
export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new TypeError(`route has no {${name}} parameter`);
  return value;
}
