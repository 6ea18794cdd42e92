import { applicationStore, clientStore, clock, issuer, signingKeys, pepperHasher, samlCertificates, store } from '../adapters/from-environment';
import { remoteJwks } from '../adapters/remote-jwks';
import type { SamlCertificateIssuer } from '../domain/clients/ports';
import type { ClientRegistryDeps, SamlRegistryDeps } from '../domain/clients/registry';
import type { ClientTokenDeps } from '../domain/clients/tokens';

/** The client registry's dependencies (CL-*), built on first use, once per container. */

export function clientRegistryDeps(): ClientRegistryDeps {
  return { clients: clientStore(), resources: store(), applications: applicationStore(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

export function samlRegistryDeps(): SamlRegistryDeps {
  // Only the operations with `samlKey: 'sign'` have the key's ID: resolve it when a certificate is issued.
  const certificates = { issue: (request: Parameters<SamlCertificateIssuer['issue']>[0]) => samlCertificates().issue(request) };
  return { clients: clientStore(), resources: store(), applications: applicationStore(), certificates, now: clock, issuer: issuer() };
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
