import type { KeyObject } from 'node:crypto';
import type { NameIdType } from '../clients/model';
import { escapeXml, signEnveloped } from './xml';

/**
 * SAML 2.0 IdP metadata (OASIS saml-metadata-2.0-os §2.4.3): one EntityDescriptor with an
 * IDPSSODescriptor that publishes the signing certificate, the NameID format and the SSO endpoints
 * for the HTTP-Redirect and HTTP-POST bindings. Every value placed in the XML is escaped. During a
 * certificate rollover two signing KeyDescriptors are published: the current certificate first,
 * then the next one, so service providers trust the next key before it signs anything. The
 * EntityDescriptor is signed (enveloped, §3.1) by the current key, so a metadata document fetched
 * over a tampering path fails verification against the certificate an SP already holds.
 */

export const SAML_METADATA_CONTENT_TYPE = 'application/samlmetadata+xml';

const NAME_ID_FORMATS: Readonly<Record<NameIdType, string>> = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  // SAML has no format for phone numbers or user names: "unspecified" leaves it to the SP.
  phone_number: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  username: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  // A stable identifier the application assigned: persistent across sessions.
  external_user_id: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
};

export function nameIdFormat(type: NameIdType): string {
  return NAME_ID_FORMATS[type];
}

export interface IdpMetadataInput {
  readonly entityId: string;
  readonly ssoUrl: string;
  /** PEMs of the signing certificates: the current one, then during a rollover the next one. */
  readonly certificates: readonly string[];
  readonly nameIdType: NameIdType;
  readonly wantSignedRequests: boolean;
}

/** The metadata's ID, referenced by its signature. */
const METADATA_ID = '_latchkey-idp-metadata';

export function idpMetadataXml(input: IdpMetadataInput): string {
  const base64 = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  const sso = (binding: string) => `    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${escapeXml(input.ssoUrl)}"/>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="${METADATA_ID}" entityID="${escapeXml(input.entityId)}">`,
    `  <md:IDPSSODescriptor WantAuthnRequestsSigned="${input.wantSignedRequests}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`,
    ...input.certificates.flatMap((pem) => [
      '    <md:KeyDescriptor use="signing">',
      `      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${escapeXml(base64(pem))}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`,
      '    </md:KeyDescriptor>',
    ]),
    `    <md:NameIDFormat>${escapeXml(nameIdFormat(input.nameIdType))}</md:NameIDFormat>`,
    sso('HTTP-Redirect'),
    sso('HTTP-POST'),
    '  </md:IDPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}

/** Signs the EntityDescriptor itself (enveloped signature as its first child, saml-metadata §3.1.1). */
export function signMetadata(xml: string, privateKey: KeyObject, certificatePem: string): string {
  return signEnveloped(xml, { id: METADATA_ID, localName: 'EntityDescriptor', privateKey, certificatePem });
}

export { escapeXml };
