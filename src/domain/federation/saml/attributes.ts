/**
 * Who a SAML assertion names, in Latchkey's terms: the upstream subject (the NameID, or a chosen
 * attribute), e-mail address, whether the IdP vouches for it, and display name.
 *
 * Rules:
 * - Each field is read from the attribute the connection's `attributeMapping` names for it;
 *   otherwise from the first of the usual names (the SAML attribute profiles' OIDs, the claim URIs
 *   common identity providers send, and the plain names) that is present.
 * - The e-mail address falls back to the NameID when the NameID is in the emailAddress format.
 * - SAML has no standard "verified" flag: an address counts as verified only when the mapping
 *   names an attribute for it and that attribute says `true` (or `1`). Linking accounts by e-mail
 *   relies on this, so nothing is assumed.
 * - A mapped subject attribute must have exactly one non-empty value (otherwise no identity: the
 *   caller refuses the assertion); other fields take the first.
 */

export interface AttributeMapping {
  /** The attribute holding a stable identifier to key end users by, instead of the NameID. */
  readonly subject?: string;
  readonly email?: string;
  readonly email_verified?: string;
  readonly name?: string;
}

export const ATTRIBUTE_MAPPING_FIELDS = ['subject', 'email', 'email_verified', 'name'] as const;

export const DEFAULT_ATTRIBUTE_NAMES = {
  email: ['urn:oid:0.9.2342.19200300.100.1.3', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'email', 'mail', 'emailAddress'],
  name: ['urn:oid:2.16.840.1.113730.3.1.241', 'http://schemas.microsoft.com/identity/claims/displayname', 'displayName', 'name'],
} as const;

const EMAIL_ADDRESS_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface AssertedSubject {
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly sessionIndex?: string;
  /** Epoch seconds of the upstream authentication (`AuthnInstant`). */
  readonly authTime: number;
}

export interface UpstreamSamlIdentity {
  /** The upstream subject end users are kept by, with the connection ID. */
  readonly subject: string;
  readonly nameId: string;
  readonly nameIdFormat: string;
  readonly email?: string;
  readonly emailVerified: boolean;
  readonly name?: string;
  readonly sessionIndex?: string;
  readonly authTime: number;
}

export function mapAttributes(asserted: AssertedSubject, mapping: AttributeMapping = {}): UpstreamSamlIdentity | undefined {
  const first = (names: readonly string[]) => names.map((name) => asserted.attributes[name]?.find((value) => value !== '')).find((value) => value !== undefined);
  const subjectValues = mapping.subject === undefined ? [asserted.nameId] : (asserted.attributes[mapping.subject] ?? []).filter((value) => value !== '');
  if (subjectValues.length !== 1 || subjectValues[0]!.length > 1024) {
    return undefined;
  }
  const email = first(mapping.email ? [mapping.email] : DEFAULT_ATTRIBUTE_NAMES.email) ?? (asserted.nameIdFormat === EMAIL_ADDRESS_FORMAT ? asserted.nameId : undefined);
  const name = first(mapping.name ? [mapping.name] : DEFAULT_ATTRIBUTE_NAMES.name);
  const verified = mapping.email_verified ? first([mapping.email_verified]) : undefined;
  return {
    subject: subjectValues[0]!,
    nameId: asserted.nameId,
    nameIdFormat: asserted.nameIdFormat,
    ...(email ? { email: email.toLowerCase() } : {}),
    emailVerified: email !== undefined && (verified?.toLowerCase() === 'true' || verified === '1'),
    ...(name ? { name } : {}),
    ...(asserted.sessionIndex ? { sessionIndex: asserted.sessionIndex } : {}),
    authTime: asserted.authTime,
  };
}
