/**
 * The interfaces the domain needs from the outside world, the one list to learn: every interface an
 * adapter implements. Each has one AWS implementation under `src/adapters/` and can be replaced by a
 * plain in-memory object in domain tests.
 *
 * This file only re-exports. Each port is defined beside what it serves: the shared primitives in
 * `primitives.ts` (a leaf), the core stores in `stores.ts`, a feature's ports beside its records.
 * Domain modules import from those files, never from this one, so that no import cycle runs through
 * it; adapters, the composition root and tests may import from either.
 */

export type { Clock, PublicJwk, PublicKeySet, SecretHasher, TokenSigner } from './primitives';
export type {
  EnvironmentStore,
  OpaqueTokenStore,
  ResourceStore,
  ServiceAccountStore,
  Store,
  StoredOpaqueToken,
  StoredPersonalAccessToken,
  TokenContext,
  TokenRecordStore,
  WithOwner,
} from './stores';

// ---- the other ports, defined beside the feature that owns them -------------------------------

export type { ApplicationStore } from './applications';
export type { AuditLog } from './audit';
export type { FailedAuthenticationCounters } from './authentication-throttle';
export type { AuthorizationStore } from './authorization/ports';
export type { AssertionReplayStore } from './clients/client-assertion';
export type { ApplicationLookup, ClientStore } from './clients/ports';
export type { EndUserLifecycleStore, EndUserStore } from './end-users';
export type { EnrichmentLog, WebhookTransport } from './enrichment';
export type { ConnectionSecretVault, IdpConnectionStore } from './idp-connections';
export type { UpstreamHttp } from './federation/oidc-upstream';
export type { JwtVerifier } from './introspection';
export type { LoginStore } from './login/ports';
export type { ServiceAccountKeyStore } from './service-account-keys';
export type { KeyPairFactory, SigningKeyStore } from './signing-keys';
export type { WebhookSecretVault } from './webhook-settings';
