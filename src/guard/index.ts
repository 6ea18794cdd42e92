/**
 * `latchkey/guard`: verify Latchkey access tokens in a resource server.
 *
 * ```ts
 * import { createGuard } from 'latchkey/guard';
 * const guard = createGuard({ issuer: 'https://id.example.com', environmentId: 'env_...' });
 * const claims = await guard.verifyAuthorizationHeader(request.headers.authorization, {
 *   resource: 'orders', anyOf: ['orders.read', 'orders.admin'],
 * });
 * ```
 */
export { createGuard, DEFAULT_EMBEDDED_TOKEN_CLAIM, JWKS_CACHE_SECONDS } from './guard';
export type { Guard, GuardOptions, LatchkeyClaims, Requirements } from './guard';
export type { IntrospectionOptions } from './introspection';
export type { PresentedCertificate } from './certificate-binding';
export { inMemoryDpopReplayCache } from './dpop-binding';
export type { DpopPresentation, DpopReplayCache } from './dpop-binding';
export { accessTokenHash, DPOP_ALGORITHMS, DPOP_PROOF_WINDOW_SECONDS } from '../dpop-proof';
export { GuardError } from './errors';
export type { GuardErrorCode } from './errors';
