/**
 * `latchkey/client`: get access tokens for a Latchkey service account.
 *
 * ```ts
 * import { createTokenProvider, getServiceAccountToken } from 'latchkey/client';
 *
 * // One token:
 * const { accessToken, expiresInSeconds, tokenType } = await getServiceAccountToken(baseUrl, clientId, clientSecret);
 *
 * // A cached token, renewed shortly before it expires:
 * const tokens = createTokenProvider({ baseUrl, clientId, clientSecret });
 * const token = await tokens.getToken();
 * ```
 *
 * No dependencies: it needs only a `fetch` (Node.js 18+, browsers, Deno, Bun, Workers).
 */
export { getServiceAccountToken } from './token';
export type { ServiceAccountToken, TokenRequestOptions } from './token';
export { createTokenProvider } from './provider';
export type { TokenProvider, TokenProviderOptions } from './provider';
export { LatchkeyClientError } from './errors';
export type { LatchkeyClientErrorCode } from './errors';
