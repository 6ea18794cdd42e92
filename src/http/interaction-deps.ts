import {
  applicationStore,
  authorizationStore,
  clientStore,
  clock,
  endUserStore,
  idpConnectionStore,
  issuer,
  signingKeys,
  pepperHasher,
  samlKeys,
  store,
  tokenStore,
} from '../adapters/from-environment';
import type { GrantDeps, InteractionDeps } from '../domain/authorization/deps';

/** What interactive login needs (authorize, login and consent requests); built once per container. */
export function interactionDeps(): InteractionDeps {
  return {
    clients: clientStore(),
    applications: applicationStore(),
    connections: idpConnectionStore(),
    users: endUserStore(),
    authorizations: authorizationStore(),
    resources: store(),
    hasher: pepperHasher(),
    now: clock,
    issuer: issuer(),
    samlKeys: samlKeys(),
    replay: clientStore(),
  };
}

/** What the authorization-code and refresh-token grants need besides. */
export function grantDeps(): GrantDeps {
  return { ...interactionDeps(), signer: signingKeys(), tokens: tokenStore() };
}
