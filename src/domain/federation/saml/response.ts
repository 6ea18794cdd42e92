import { SignedXml } from 'xml-crypto';
import type { AssertionReplayStore } from '../../clients/client-assertion';
import type { Clock, SecretHasher } from '../../primitives';
import { sameDigest } from '../../secrets';
import { childElements, NS, parseXml, RSA_SHA256, SHA256 } from '../../saml/xml';
import { mapAttributes, type AttributeMapping, type UpstreamSamlIdentity } from './attributes';
import type { IdpMetadata } from './idp-metadata';
import { UpstreamFailure } from '../../login/upstream';
import type { ServiceProviderUrls } from './sp-metadata';

/**
 * Checks the SAML `Response` an upstream identity provider posts to a connection's ACS URL (SAML
 * core §3.3.3, profiles §4.1.4 Web Browser SSO) and answers who logged in.
 *
 * Rules, in the order they are checked:
 * 1. `SAMLResponse` is base64 of at most 256 KiB; the XML is well-formed without DOCTYPE; its root
 *    is a protocol `Response`, Version 2.0.
 * 2. `Destination` is this connection's ACS URL; `InResponseTo` answers the AuthnRequest this login
 *    sent (its keyed hash, compared in constant time): no unsolicited or another login's response.
 * 3. A status other than Success ends the login as `access_denied` (the IdP's status codes go to
 *    the log only).
 * 4. No `EncryptedAssertion`; exactly one `Assertion` in the whole document, a child of the root.
 * 5. Signature (xml-crypto, RSA-SHA256 with SHA-256 digests, one reference, to the signed element's
 *    own ID): either the Response's own enveloped signature or else the Assertion's verifies with
 *    one of the IdP certificates pinned from its metadata; a `KeyInfo` certificate in the message is
 *    never used. From here on only the XML xml-crypto reports as signed is read: whatever was
 *    wrapped around or beside the signed element is gone.
 * 6. The signed assertion's `Issuer` is the IdP's entity ID (and the Response's, when it has one).
 * 7. One `NameID` (no `EncryptedID`), in the connection's format when the connection asks for a
 *    specific one.
 * 8. A bearer `SubjectConfirmation` whose data has `Recipient` = the ACS URL, `InResponseTo` = our
 *    request, and a `NotOnOrAfter` still ahead (a `NotBefore`, if any, passed).
 * 9. `Conditions`: `NotBefore`/`NotOnOrAfter` hold; at least one `AudienceRestriction`, and every
 *    one of them names our SP entity ID.
 * 10. An `AuthnStatement`; its `SessionNotOnOrAfter`, when given, still ahead.
 * Times allow CLOCK_SKEW_SECONDS either way.
 * 11. The assertion ID is single use: recorded (per connection) until the assertion expires, so a
 *    second post of the same assertion is refused.
 * 12. NameID and attributes are mapped to the end user (`attributes.ts`).
 */

export const CLOCK_SKEW_SECONDS = 120;
const MAX_RESPONSE_BYTES = 256 * 1024;
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

/** The audit log's codes: the IdP said no, or its answer failed a rule above. */
export const SAML_DENIED = 'saml_denied';
export const SAML_INVALID = 'saml_response_invalid';
const refused = (detail: string) => new UpstreamFailure(SAML_INVALID, detail);

export interface SamlResponseDeps {
  readonly now: Clock;
  readonly hasher: SecretHasher;
  readonly replay: AssertionReplayStore;
}

export interface SamlResponseContext {
  readonly environmentId: string;
  readonly connectionId: string;
  readonly sp: ServiceProviderUrls;
  readonly idp: Pick<IdpMetadata, 'entityId' | 'certificates'>;
  /** The connection's NameID format: a specific one must be the one answered. */
  readonly nameIdFormat: string;
  readonly attributeMapping?: AttributeMapping;
  /** The keyed hash of the ID of the AuthnRequest this login sent. */
  readonly requestIdHash: string;
}

export async function acceptSamlResponse(deps: SamlResponseDeps, context: SamlResponseContext, samlResponse: string | undefined): Promise<UpstreamSamlIdentity> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  const invalid = refused;

  // Rule 1.
  if (!samlResponse || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw invalid('SAMLResponse is missing or not base64');
  const bytes = Buffer.from(samlResponse, 'base64');
  if (bytes.length > MAX_RESPONSE_BYTES) throw invalid(`SAMLResponse is over ${MAX_RESPONSE_BYTES} bytes`);
  const xml = bytes.toString('utf8');
  const document = parsed(xml, 'SAMLResponse');
  const root = document.documentElement!;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response' || root.getAttribute('Version') !== '2.0') throw invalid('SAMLResponse is not a SAML 2.0 Response');

  // Rule 2.
  if (root.getAttribute('Destination') !== context.sp.acsUrl) throw invalid(`the Response's Destination is not ${context.sp.acsUrl}`);
  if (!(await answersOurRequest(deps.hasher, root.getAttribute('InResponseTo'), context.requestIdHash)))
    throw invalid("the Response's InResponseTo is not the request this login sent");

  // Rule 3.
  const status = statusCodes(root);
  if (status[0] !== SUCCESS) throw new UpstreamFailure(SAML_DENIED, `the IdP answered status ${status.join(' / ') || '(none)'}`);

  // Rule 4.
  if (document.getElementsByTagNameNS(NS.assertion, 'EncryptedAssertion').length > 0)
    throw invalid('encrypted assertions are not supported: turn assertion encryption off at the IdP');
  const assertions = document.getElementsByTagNameNS(NS.assertion, 'Assertion');
  const unsignedAssertion = assertions.item(0);
  if (assertions.length !== 1 || unsignedAssertion?.parentNode !== root)
    throw invalid(`the Response must hold exactly one Assertion, as a child of the Response; it holds ${assertions.length}`);

  // Rule 5.
  let assertion: Element;
  if (childElements(root, NS.dsig, 'Signature').length > 0) {
    const signedResponse = parsed(verifiedElement(xml, root, context.idp.certificates), 'signed Response').documentElement!;
    const inside = childElements(signedResponse, NS.assertion, 'Assertion');
    if (inside.length !== 1) throw invalid('the signed Response must hold exactly one Assertion');
    assertion = inside[0]!;
  } else {
    assertion = parsed(verifiedElement(xml, unsignedAssertion, context.idp.certificates), 'signed Assertion').documentElement!;
  }
  if (assertion.namespaceURI !== NS.assertion || assertion.localName !== 'Assertion' || assertion.getAttribute('Version') !== '2.0')
    throw invalid('the signed element is not a SAML 2.0 Assertion');

  // Rule 6.
  const issuer = single(assertion, NS.assertion, 'Issuer')?.textContent?.trim();
  if (issuer !== context.idp.entityId) throw invalid(`the Assertion's Issuer is not the IdP entity ID ${context.idp.entityId}`);
  const responseIssuer = childElements(root, NS.assertion, 'Issuer')[0]?.textContent?.trim();
  if (responseIssuer !== undefined && responseIssuer !== context.idp.entityId) throw invalid(`the Response's Issuer is not the IdP entity ID ${context.idp.entityId}`);

  // Rule 7.
  const subject = single(assertion, NS.assertion, 'Subject');
  if (!subject) throw invalid('the Assertion has no Subject');
  const nameId = single(subject, NS.assertion, 'NameID');
  const nameIdValue = nameId?.textContent?.trim();
  if (!nameId || !nameIdValue || nameIdValue.length > 1024) throw invalid('the Assertion must have one plain NameID of at most 1024 characters');
  const nameIdFormat = nameId.getAttribute('Format') || UNSPECIFIED;
  if (context.nameIdFormat !== UNSPECIFIED && nameIdFormat !== context.nameIdFormat)
    throw invalid(`the NameID format is ${nameIdFormat}, the connection asks for ${context.nameIdFormat}`);

  // Rule 8.
  const confirmations = childElements(subject, NS.assertion, 'SubjectConfirmation').filter((confirmation) => confirmation.getAttribute('Method') === BEARER);
  let confirmedUntil: number | undefined;
  for (const confirmation of confirmations) {
    const data = single(confirmation, NS.assertion, 'SubjectConfirmationData');
    if (!data || data.getAttribute('Recipient') !== context.sp.acsUrl) continue;
    if (!(await answersOurRequest(deps.hasher, data.getAttribute('InResponseTo'), context.requestIdHash))) continue;
    const notOnOrAfter = instant(data.getAttribute('NotOnOrAfter'));
    const notBefore = instant(data.getAttribute('NotBefore'));
    if (notOnOrAfter === undefined || notOnOrAfter + CLOCK_SKEW_SECONDS <= nowSeconds) continue;
    if (notBefore !== undefined && notBefore - CLOCK_SKEW_SECONDS > nowSeconds) continue;
    confirmedUntil = Math.max(confirmedUntil ?? 0, notOnOrAfter);
  }
  if (confirmedUntil === undefined) {
    throw invalid('no bearer SubjectConfirmation holds: its Recipient must be the ACS URL, its InResponseTo our request, and its NotOnOrAfter ahead');
  }

  // Rule 9.
  const conditions = single(assertion, NS.assertion, 'Conditions');
  if (!conditions) throw invalid('the Assertion has no Conditions (an audience restriction is required)');
  const notBefore = instant(conditions.getAttribute('NotBefore'));
  const notOnOrAfter = instant(conditions.getAttribute('NotOnOrAfter'));
  if (notBefore !== undefined && notBefore - CLOCK_SKEW_SECONDS > nowSeconds) throw invalid("the Assertion's Conditions NotBefore is still ahead");
  if (notOnOrAfter !== undefined && notOnOrAfter + CLOCK_SKEW_SECONDS <= nowSeconds) throw invalid('the Assertion has expired (Conditions NotOnOrAfter)');
  const restrictions = childElements(conditions, NS.assertion, 'AudienceRestriction');
  const forUs = (restriction: Element) => childElements(restriction, NS.assertion, 'Audience').some((audience) => audience.textContent?.trim() === context.sp.entityId);
  if (restrictions.length === 0 || !restrictions.every(forUs)) throw invalid(`the Assertion's audience must be ${context.sp.entityId}`);

  // Rule 10.
  const authn = childElements(assertion, NS.assertion, 'AuthnStatement')[0];
  if (!authn) throw invalid('the Assertion has no AuthnStatement');
  const sessionEnds = instant(authn.getAttribute('SessionNotOnOrAfter'));
  if (sessionEnds !== undefined && sessionEnds + CLOCK_SKEW_SECONDS <= nowSeconds) throw invalid('the IdP session of the AuthnStatement has ended (SessionNotOnOrAfter)');

  // Rule 11.
  const assertionId = assertion.getAttribute('ID') ?? '';
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(assertionId)) throw invalid('the Assertion ID is not an XML ID of at most 256 characters');
  const keepUntil = Math.max(confirmedUntil, notOnOrAfter ?? 0) + CLOCK_SKEW_SECONDS;
  if (!(await deps.replay.recordAssertionId(context.environmentId, context.connectionId, `saml-sp-assertion#${assertionId}`, keepUntil, nowSeconds))) {
    throw invalid(`the Assertion ${assertionId} has been used already (replay)`);
  }

  // Rule 12.
  const sessionIndex = authn.getAttribute('SessionIndex') ?? undefined;
  const authTime = instant(authn.getAttribute('AuthnInstant')) ?? nowSeconds;
  const identity = mapAttributes(
    { nameId: nameIdValue, nameIdFormat, attributes: attributesOf(assertion), ...(sessionIndex ? { sessionIndex } : {}), authTime },
    context.attributeMapping,
  );
  if (!identity) throw invalid(`the assertion must carry exactly one value of ${context.attributeMapping?.subject} (at most 1024 characters) to name the end user`);
  return identity;
}

/**
 * Verifies the one enveloped signature that is a direct child of `element`, with the pinned
 * certificates only, and answers the XML that xml-crypto reports as signed.
 */
function verifiedElement(xml: string, element: Element, certificates: readonly string[]): string {
  const what = element.localName;
  const signatures = childElements(element, NS.dsig, 'Signature');
  if (signatures.length !== 1) throw refused(`the ${what} must carry exactly one signature, it has ${signatures.length}`);
  const signature = signatures[0]!;
  const algorithm = signature.getElementsByTagNameNS(NS.dsig, 'SignatureMethod').item(0)?.getAttribute('Algorithm');
  if (algorithm !== RSA_SHA256) throw refused(`the ${what} is signed with ${algorithm}, not RSA-SHA256`);
  const references = signature.getElementsByTagNameNS(NS.dsig, 'Reference');
  const id = element.getAttribute('ID');
  if (references.length !== 1 || !id || references.item(0)!.getAttribute('URI') !== `#${id}`) {
    throw refused(`the ${what}'s signature must have one reference, to the ${what} itself`);
  }
  const digest = references.item(0)!.getElementsByTagNameNS(NS.dsig, 'DigestMethod').item(0)?.getAttribute('Algorithm');
  if (digest !== SHA256) throw refused(`the ${what}'s signature digests with ${digest}, not SHA-256`);
  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    verifier.loadSignature(signature);
    let valid = false;
    try {
      valid = verifier.checkSignature(xml);
    } catch {
      valid = false;
    }
    const signed = valid ? verifier.getSignedReferences() : [];
    if (signed.length === 1) return signed[0]!;
  }
  throw refused(`the ${what}'s signature does not verify with the IdP's certificates from its metadata`);
}

function parsed(xml: string, what: string): Document {
  try {
    return parseXml(xml, what);
  } catch (error) {
    throw refused(error instanceof Error ? error.message : String(error));
  }
}

async function answersOurRequest(hasher: SecretHasher, inResponseTo: string | null, requestIdHash: string): Promise<boolean> {
  return !!inResponseTo && inResponseTo.length <= 256 && sameDigest(await hasher.hash(inResponseTo), requestIdHash);
}

function statusCodes(root: Element): string[] {
  const codes: string[] = [];
  let code = childElements(root, NS.protocol, 'Status')[0];
  let parent = code ? childElements(code, NS.protocol, 'StatusCode')[0] : undefined;
  while (parent) {
    codes.push(parent.getAttribute('Value') ?? '');
    code = parent;
    parent = childElements(code, NS.protocol, 'StatusCode')[0];
  }
  return codes;
}

function single(parent: Element, namespace: string, localName: string): Element | undefined {
  const found = childElements(parent, namespace, localName);
  if (found.length > 1) throw refused(`the ${parent.localName} has ${found.length} ${localName} elements`);
  return found[0];
}

/** Epoch seconds of a UTC xs:dateTime, undefined when absent; a malformed one refuses the response. */
function instant(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) throw refused(`"${value.slice(0, 40)}" is not a UTC xs:dateTime`);
  return Math.floor(Date.parse(value) / 1000);
}

function attributesOf(assertion: Element): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      const values = childElements(attribute, NS.assertion, 'AttributeValue').map((value) => (value.textContent ?? '').trim());
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return attributes;
}
