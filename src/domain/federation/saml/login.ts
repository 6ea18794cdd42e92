import type { AssertionReplayStore } from '../../clients/client-assertion';
import type { Clock, SecretHasher } from '../../primitives';
import type { SamlKeyVault } from '../../saml/signing-keys';
import type { UpstreamSamlIdentity } from './attributes';
import { sendAuthnRequest } from './authn-request';
import { type ConnectionName, keyOwner, type SamlConnectionSettings } from './connection';
import { acceptSamlResponse } from './response';
import { serviceProviderUrls } from './sp-metadata';

/**
 * The two ends of a login at an upstream SAML identity provider, for the login engine: sending the
 * browser there with a signed AuthnRequest, and reading what it posts back to the ACS URL.
 *
 * Rules:
 * - The engine's login state (`{environmentId}.{handle}`, secret) names the pending login. The
 *   environment is already in the ACS URL, so `RelayState` carries the handle alone, within the
 *   80 bytes SAML bindings §3.4.3 allows, and the ACS puts the state back together.
 * - The AuthnRequest ID is derived from the state by the keyed hash (`requestIdFor`), so the
 *   pending login needs nothing more stored: the response must answer the ID of the state it
 *   comes back with, and no one without the pepper can make the ID of another state.
 */

export interface SamlUpstreamDeps {
  readonly issuer: string;
  readonly now: Clock;
  readonly hasher: SecretHasher;
  readonly samlKeys: SamlKeyVault;
  readonly replay: AssertionReplayStore;
}

export interface SamlConnectionRef extends ConnectionName {
  readonly saml: SamlConnectionSettings;
}

/** The AuthnRequest ID of a login state: an XML ID, `_` and a keyed hash. */
export async function requestIdFor(hasher: SecretHasher, state: string): Promise<string> {
  return `_${await hasher.hash(`saml-authn-request#${state}`)}`;
}

/** The RelayState of a login state: the state without its leading environment ID. */
export function relayStateOf(connection: ConnectionName, state: string): string {
  const prefix = `${connection.environmentId}.`;
  if (!state.startsWith(prefix)) throw new TypeError('the login state must name the connection environment');
  return state.slice(prefix.length);
}

/** The login state back from the RelayState posted to the connection's ACS URL. */
export function stateOf(connection: ConnectionName, relayState: string | undefined): string | undefined {
  return relayState ? `${connection.environmentId}.${relayState}` : undefined;
}

/** Where the browser goes: the IdP's SSO URL with a signed AuthnRequest (HTTP-Redirect binding). */
export async function startSamlUpstreamLogin(deps: Omit<SamlUpstreamDeps, 'replay'>, connection: SamlConnectionRef, state: string): Promise<string> {
  const { saml } = connection;
  const privateKey = await deps.samlKeys.privateKey(keyOwner(connection), saml.signingKey);
  const sent = await sendAuthnRequest(deps.hasher, {
    sp: serviceProviderUrls(deps.issuer, connection),
    idp: { ssoUrl: saml.idp.ssoUrl, ssoBinding: 'redirect' },
    nameIdFormat: saml.nameIdFormat,
    relayState: relayStateOf(connection, state),
    id: await requestIdFor(deps.hasher, state),
    nowMs: deps.now(),
    key: { privateKey, certificatePem: saml.signingKey.certificate },
  });
  return sent.location;
}

/** Who logged in, from the Response posted to the ACS URL for the login `state`; throws `UpstreamFailure`. */
export async function acceptSamlUpstreamResponse(
  deps: Omit<SamlUpstreamDeps, 'samlKeys'>,
  connection: SamlConnectionRef,
  state: string,
  samlResponse: string | undefined,
): Promise<UpstreamSamlIdentity> {
  const { saml } = connection;
  return acceptSamlResponse(
    deps,
    {
      environmentId: connection.environmentId,
      connectionId: connection.id,
      sp: serviceProviderUrls(deps.issuer, connection),
      idp: saml.idp,
      nameIdFormat: saml.nameIdFormat,
      ...(saml.attributeMapping ? { attributeMapping: saml.attributeMapping } : {}),
      requestIdHash: await deps.hasher.hash(await requestIdFor(deps.hasher, state)),
    },
    samlResponse,
  );
}
