import type { KeyObject } from 'node:crypto';
import { escapeXml, signEnveloped } from '../../saml/xml';
import { HTTP_POST } from './idp-metadata';

/**
 * Latchkey as a SAML service provider, one per SAML connection: its entity ID (the metadata URL,
 * so an IdP administrator can import it from where it says it is), its assertion consumer service
 * and its metadata (saml-metadata-2.0-os §2.4.4). The metadata publishes the connection's own
 * signing certificate (its key is KMS-wrapped like a SAML client's), says that AuthnRequests are
 * signed and that assertions must be, and names the one ACS, HTTP-POST. It is signed (enveloped,
 * §3.1) by the same key.
 */

export const NAME_ID_FORMATS = {
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

/**
 * The NameID formats a connection may ask for. Transient identifiers change at every login, and
 * end users are kept by (connection, NameID): a transient format would make a new user each time.
 */
export const CONNECTION_NAME_ID_FORMATS = Object.values(NAME_ID_FORMATS);

export interface ServiceProviderUrls {
  readonly entityId: string;
  readonly metadataUrl: string;
  readonly acsUrl: string;
}

/**
 * The service provider of a connection, named in its URLs by `{connectionId}@{environmentId}` (as SAML
 * clients are by their client ID): the public metadata and ACS routes find the connection's
 * environment from the URL alone.
 */
export function serviceProviderUrls(issuer: string, connection: { readonly id: string; readonly environmentId: string }): ServiceProviderUrls {
  const base = `${issuer}/saml/sp/${connection.id}@${connection.environmentId}`;
  return { entityId: `${base}/metadata`, metadataUrl: `${base}/metadata`, acsUrl: `${base}/acs` };
}

export interface SpMetadataInput {
  readonly urls: ServiceProviderUrls;
  /** PEMs: the current signing certificate, then during a rollover the next one. */
  readonly certificates: readonly string[];
  readonly nameIdFormat: string;
}

const METADATA_ID = '_latchkey-sp-metadata';

export function spMetadataXml(input: SpMetadataInput): string {
  const base64 = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="${METADATA_ID}" entityID="${escapeXml(input.urls.entityId)}">`,
    '  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    ...input.certificates.flatMap((pem) => [
      '    <md:KeyDescriptor use="signing">',
      `      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${escapeXml(base64(pem))}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`,
      '    </md:KeyDescriptor>',
    ]),
    `    <md:NameIDFormat>${escapeXml(input.nameIdFormat)}</md:NameIDFormat>`,
    `    <md:AssertionConsumerService Binding="${HTTP_POST}" Location="${escapeXml(input.urls.acsUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}

/** The metadata signed by the connection's current key (enveloped, first child, saml-metadata §3.1.1). */
export function signedSpMetadataXml(input: SpMetadataInput, privateKey: KeyObject): string {
  return signEnveloped(spMetadataXml(input), { id: METADATA_ID, localName: 'EntityDescriptor', privateKey, certificatePem: input.certificates[0]! });
}
