import type { InteractionDeps } from '../login/deps';
import type { TokenSigner } from '../primitives';
import type { ResourceStore, TokenRecordStore } from '../stores';
import type { AuthorizationStore } from './ports';

export { seconds } from '../login/deps';

/**
 * What a login that ends in an authorization code needs besides the engine's: the store of codes
 * and families, and the resources a request may name (RFC 8707).
 */
export interface OidcLoginDeps extends InteractionDeps {
  readonly authorizations: AuthorizationStore;
  readonly resources: ResourceStore;
}

/** What the authorization-code and refresh-token grants need besides: signing and revocation. */
export interface GrantDeps extends OidcLoginDeps {
  readonly signer: TokenSigner;
  /** Revoking a family's access tokens; opaque tokens would be written here too (the minter's port). */
  readonly tokens: Pick<TokenRecordStore, 'revokeJwt' | 'putOpaqueToken'>;
}

/** RFC 6749 §4.1.2 recommends at most ten minutes; one is plenty for a back channel. */
export const CODE_TTL_SECONDS = 60;
/**
 * How long a refresh token, once rotated, is still accepted while its successor is unused: two tabs
 * or requests that refresh with the same token at once both get a fresh pair instead of tripping
 * reuse detection (RFC 9700 §4.14.2). After it, a spent token presented again revokes the family.
 */
export const REFRESH_TOKEN_REUSE_LEEWAY_SECONDS = 5;
