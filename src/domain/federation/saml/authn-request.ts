import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { SecretHasher } from '../../primitives';
import { escapeXml, RSA_SHA256, signEnveloped } from '../../saml/xml';
import type { SamlForm } from '../../login/outcome';
import { HTTP_POST, type IdpMetadata } from './idp-metadata';
import type { ServiceProviderUrls } from './sp-metadata';

/**
 * The signed `AuthnRequest` (SAML core §3.4.1) Latchkey sends an upstream identity provider, over
 * the binding its metadata offers: HTTP-Redirect with the query-string signature of bindings
 * §3.4.4.1 (RSA-SHA256 over `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as URL-encoded), or
 * HTTP-POST with an enveloped XML signature after the `Issuer` (core §5.4.1).
 *
 * Rules:
 * - The `ID` carries 160 random bits, or is derived by the caller from its secret login state; only
 *   its keyed hash (`idHash`) is kept, and the response must answer that ID (`InResponseTo`), so an
 *   unsolicited or another login's response is refused.
 * - The response is asked for at the connection's ACS URL over HTTP-POST, with the connection's
 *   NameID format (`AllowCreate`, so an IdP makes a persistent identifier on first use).
 * - `RelayState` is the caller's handle on its pending login, at most 80 bytes (bindings §3.4.3).
 */

export interface AuthnRequestInput {
  readonly sp: ServiceProviderUrls;
  readonly idp: Pick<IdpMetadata, 'ssoUrl' | 'ssoBinding'>;
  readonly nameIdFormat: string;
  readonly relayState: string;
  /** The request's ID (an XML ID); by default 160 random bits. */
  readonly id?: string;
  readonly forceAuthn?: boolean;
  readonly nowMs: number;
  readonly key: { readonly privateKey: KeyObject; readonly certificatePem: string };
}

export interface SentAuthnRequest {
  /** The keyed hash of the request's ID, to keep with the pending login for `InResponseTo`. */
  readonly idHash: string;
  /** Where the browser goes: the SSO URL with the signed query (redirect binding), or the form's action. */
  readonly location: string;
  /** The POST binding: the form the browser submits to the SSO URL. */
  readonly form?: SamlForm;
}

const MAX_RELAY_STATE_BYTES = 80;

export async function sendAuthnRequest(hasher: SecretHasher, input: AuthnRequestInput): Promise<SentAuthnRequest> {
  if (Buffer.byteLength(input.relayState) > MAX_RELAY_STATE_BYTES) throw new TypeError(`RelayState must be at most ${MAX_RELAY_STATE_BYTES} bytes`);
  const id = input.id ?? `_${randomBytes(20).toString('hex')}`;
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) throw new TypeError('an AuthnRequest ID must be an XML ID of at most 256 characters');
  const idHash = await hasher.hash(id);
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date(input.nowMs).toISOString()}"` +
    ` Destination="${escapeXml(input.idp.ssoUrl)}" AssertionConsumerServiceURL="${escapeXml(input.sp.acsUrl)}" ProtocolBinding="${HTTP_POST}"${input.forceAuthn ? ' ForceAuthn="true"' : ''}>` +
    `<saml:Issuer>${escapeXml(input.sp.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${escapeXml(input.nameIdFormat)}" AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`;
  if (input.idp.ssoBinding === 'post') {
    const signed = signEnveloped(xml, { id, localName: 'AuthnRequest', privateKey: input.key.privateKey, certificatePem: input.key.certificatePem, after: 'Issuer' });
    return {
      idHash,
      location: input.idp.ssoUrl,
      form: { action: input.idp.ssoUrl, fields: { SAMLRequest: Buffer.from(signed).toString('base64'), RelayState: input.relayState } },
    };
  }
  const octets = `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}&RelayState=${encodeURIComponent(input.relayState)}&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = sign('sha256', Buffer.from(octets), input.key.privateKey).toString('base64');
  const location = `${input.idp.ssoUrl}${input.idp.ssoUrl.includes('?') ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`;
  return { idHash, location };
}
