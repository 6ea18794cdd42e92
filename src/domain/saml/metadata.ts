import type { NameIdType } from '../clients/model';

/**
 * SAML 2.0 IdP metadata (OASIS saml-metadata-2.0-os §2.4.3): one EntityDescriptor with an
 * IDPSSODescriptor that publishes the signing certificate, the NameID format and the SSO endpoints
 * for the HTTP-Redirect and HTTP-POST bindings. Every value placed in the XML is escaped.
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
  /** PEM of the signing certificate. */
  readonly certificatePem: string;
  readonly nameIdType: NameIdType;
}

export function idpMetadataXml(input: IdpMetadataInput): string {
  const certificate = input.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  const sso = (binding: string) =>
    `    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${escapeXml(input.ssoUrl)}"/>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escapeXml(input.entityId)}">`,
    '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    '    <md:KeyDescriptor use="signing">',
    `      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${escapeXml(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`,
    '    </md:KeyDescriptor>',
    `    <md:NameIDFormat>${escapeXml(nameIdFormat(input.nameIdType))}</md:NameIDFormat>`,
    sso('HTTP-Redirect'),
    sso('HTTP-POST'),
    '  </md:IDPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}

/** Escapes text and attribute values alike (both quote kinds included). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
