import type { Clock, SecretHasher } from '../ports';
import type { SamlKeyVault } from '../saml/signing-keys';
import type { AssertionReplayStore } from '../clients/client-assertion';
import type { UpstreamSamlIdentity } from './attributes';
import { sendAuthnRequest, type SentAuthnRequest } from './authn-request';
import type { SamlConnectionSettings } from './connection';
import { acceptSamlResponse } from './response';
import { serviceProviderUrls } from './sp-metadata';

/**
 * The two ends of a login at an upstream SAML identity provider, for the login engine: sending the
 * browser there with a signed AuthnRequest, and reading what it posts back to the ACS URL.
 *
 * The engine's pending login keeps `requestIdHash` (never the request ID itself) and is named by
 * the `RelayState` handle it chose; the ACS URL finds the pending login by that handle, then
 * `acceptSamlUpstreamResponse` checks the Response against this connection and that request only.
 */

export interface SamlUpstreamDeps {
  readonly issuer: string;
  readonly now: Clock;
  readonly hasher: SecretHasher;
  readonly samlKeys: SamlKeyVault;
  readonly replay: AssertionReplayStore;
}

export interface SamlConnectionRef {
  readonly id: string;
  readonly environmentId: string;
  readonly saml: SamlConnectionSettings;
}

export async function startSamlUpstreamLogin(
  deps: Omit<SamlUpstreamDeps, 'replay'>,
  connection: SamlConnectionRef,
  relayState: string,
  options: { forceAuthn?: boolean } = {},
): Promise<SentAuthnRequest> {
  const { saml } = connection;
  const privateKey = await deps.samlKeys.privateKey(connection.id, saml.signingKey);
  return sendAuthnRequest(deps.hasher, {
    sp: serviceProviderUrls(deps.issuer, connection.id),
    idp: saml.idp,
    nameIdFormat: saml.nameIdFormat,
    relayState,
    ...(options.forceAuthn ? { forceAuthn: true } : {}),
    nowMs: deps.now(),
    key: { privateKey, certificatePem: saml.signingKey.certificate },
  });
}

export function acceptSamlUpstreamResponse(
  deps: Omit<SamlUpstreamDeps, 'samlKeys'>,
  connection: SamlConnectionRef,
  requestIdHash: string,
  samlResponse: string | undefined,
): Promise<UpstreamSamlIdentity> {
  const { saml } = connection;
  return acceptSamlResponse(
    deps,
    {
      environmentId: connection.environmentId,
      connectionId: connection.id,
      sp: serviceProviderUrls(deps.issuer, connection.id),
      idp: saml.idp,
      nameIdFormat: saml.nameIdFormat,
      ...(saml.attributeMapping ? { attributeMapping: saml.attributeMapping } : {}),
      requestIdHash,
    },
    samlResponse,
  );
}
