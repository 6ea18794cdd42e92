import type { AssertionReplayStore } from '../clients/client-assertion';
import type { SamlKeyVault } from '../saml/signing-keys';
import type { ApplicationStore } from '../applications';
import type { ClientStore } from '../clients/ports';
import type { EndUserStore } from '../end-users';
import type { IdpConnectionStore } from '../idp-connections';
import type { Clock, ResourceStore, SecretHasher, TokenRecordStore, TokenSigner } from '../ports';
import type { AuthorizationStore } from './ports';

/** What interactive login needs: the registry, the end users, its own records and a keyed hasher. */
export interface InteractionDeps {
  readonly clients: ClientStore;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly connections: Pick<IdpConnectionStore, 'getIdpConnectionByType' | 'listIdpConnections'>;
  readonly users: EndUserStore;
  readonly authorizations: AuthorizationStore;
  readonly resources: ResourceStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
  /** SAML client keys, for the logins that end in a SAML Response (absent where no SAML login ends). */
  readonly samlKeys?: SamlKeyVault;
  /** Single use of AuthnRequest IDs. */
  readonly replay?: AssertionReplayStore;
}

/** What the authorization-code and refresh-token grants need besides: signing, resources and revocation. */
export interface GrantDeps extends InteractionDeps {
  readonly signer: TokenSigner;
  /** Revoking a family's access tokens; opaque tokens would be written here too (the minter's port). */
  readonly tokens: Pick<TokenRecordStore, 'revokeJwt' | 'putOpaqueToken'>;
}

/** How long a login or consent challenge may wait for its answer. */
export const CHALLENGE_TTL_SECONDS = 10 * 60;
/** RFC 6749 §4.1.2 recommends at most ten minutes; one is plenty for a back channel. */
export const CODE_TTL_SECONDS = 60;
/** A session that the application did not ask to remember lasts as long as the browser's, at most this. */
export const DEFAULT_SESSION_SECONDS = 24 * 3600;
/**
 * How long a refresh token, once rotated, is still accepted while its successor is unused: two tabs
 * or requests that refresh with the same token at once both get a fresh pair instead of tripping
 * reuse detection (RFC 9700 §4.14.2). After it, a spent token presented again revokes the family.
 */
export const REFRESH_TOKEN_REUSE_LEEWAY_SECONDS = 5;

export const seconds = (now: Clock): number => Math.floor(now() / 1000);
