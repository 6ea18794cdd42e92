import type { ApplicationStore } from '../applications';
import type { ClientStore } from '../clients/ports';
import type { EndUserStore } from '../end-users';
import type { IdpConnectionStore } from '../idp-connections';
import type { Clock, SecretHasher } from '../primitives';
import type { LoginStore } from './ports';

/**
 * What every step of a login needs, whatever protocol it ends in: the registry, the end users, the
 * login's own records, a keyed hasher and the clock. Each protocol's entry points widen it with
 * exactly what their finisher needs (`OidcLoginDeps`, `SamlLoginDeps`, `SamlSsoDeps`), so the
 * composition root cannot forget a dependency.
 */
export interface InteractionDeps {
  readonly clients: ClientStore;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly connections: Pick<IdpConnectionStore, 'getIdpConnectionByType' | 'listIdpConnections'>;
  readonly users: EndUserStore;
  readonly authorizations: LoginStore;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  readonly issuer: string;
}

/** How long a login or consent challenge may wait for its answer. */
export const CHALLENGE_TTL_SECONDS = 10 * 60;
/** A session that the application did not ask to remember lasts as long as the browser's, at most this. */
export const DEFAULT_SESSION_SECONDS = 24 * 3600;

/** The clock in whole seconds; defined with the clock, re-exported here for the login's modules. */
export { seconds } from '../primitives';
