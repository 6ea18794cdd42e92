import { applicationStore, clientStore, clock, issuer, signingKeys, pepperHasher, samlKeys, store } from '../adapters/from-environment';
import { remoteJwks } from '../adapters/remote-jwks';
import type { ClientRegistryDeps, SamlRegistryDeps } from '../domain/clients/registry';
import type { ClientTokenDeps } from '../domain/clients/tokens';

/** The client registry's dependencies (CL-*), built on first use, once per container. */

export function clientRegistryDeps(): ClientRegistryDeps {
  return { clients: clientStore(), resources: store(), applications: applicationStore(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

export function samlRegistryDeps(): SamlRegistryDeps {
  return { clients: clientStore(), resources: store(), applications: applicationStore(), samlKeys: samlKeys(), now: clock, issuer: issuer() };
}

export function clientTokenDeps(): ClientTokenDeps {
  return {
    clients: clientStore(),
    environments: store(),
    applications: applicationStore(),
    resources: store(),
    replay: clientStore(),
    remoteJwks,
    hasher: pepperHasher(),
    signer: signingKeys(),
    now: clock,
    issuer: issuer(),
  };
}
