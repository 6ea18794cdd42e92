import { randomBytes, type KeyObject } from 'node:crypto';
import { nameIdFormat } from './metadata';
import type { NameIdType } from '../clients/model';
import { escapeXml, signEnveloped } from './xml';

/**
 * SAML 2.0 `Response` documents (SAML core §3.3.3, profiles §4.1.4.2): a success carrying one
 * `Assertion` signed by the client's key (RSA-SHA256, exclusive c14n), and with `signResponse` the
 * Response around it signed too (after the assertion, so its digest covers the signed assertion), or
 * an error with a status code.
 * The assertion is bearer-confirmed for the ACS URL and the request it answers, restricted to the
 * SP as audience, and lives five minutes: long enough for a browser POST, short enough that a
 * captured one is soon useless (SPs also keep the assertion ID single use).
 */

export const ASSERTION_LIFETIME_SECONDS = 5 * 60;
const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const UNSPECIFIED_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
} as const;

export interface ResponseContext {
  readonly idpEntityId: string;
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly inResponseTo: string;
  readonly nowMs: number;
}

export interface AssertionSubject {
  readonly nameId: string;
  readonly nameIdType: NameIdType;
  readonly sessionIndex: string;
  readonly authTime: number;
  readonly amr?: readonly string[];
  /** Attribute name → values; names are short URIs-free names (email, name, userId, profileId). */
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

const samlId = () => `_${randomBytes(20).toString('hex')}`;
const instant = (ms: number) => new Date(ms).toISOString();

export function successResponse(
  context: ResponseContext,
  subject: AssertionSubject,
  key: { privateKey: KeyObject; certificatePem: string },
  options: { readonly signResponse?: boolean } = {},
): string {
  const responseId = samlId();
  const assertionId = samlId();
  const now = instant(context.nowMs);
  const notOnOrAfter = instant(context.nowMs + ASSERTION_LIFETIME_SECONDS * 1000);
  // Validity starts a little back, for SPs whose clocks run behind (the same allowance as certificates).
  const notBefore = instant(context.nowMs - 60_000);
  const issuer = `<saml:Issuer>${escapeXml(context.idpEntityId)}</saml:Issuer>`;
  const attributes = Object.entries(subject.attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([name, value]) =>
        `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`,
    )
    .join('');
  const context_ = subject.amr?.includes('pwd') ? PASSWORD_PROTECTED : UNSPECIFIED_CONTEXT;
  const assertion =
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${assertionId}" Version="2.0" IssueInstant="${now}">` +
    issuer +
    `<saml:Subject><saml:NameID Format="${nameIdFormat(subject.nameIdType)}" SPNameQualifier="${escapeXml(context.spEntityId)}">${escapeXml(subject.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${escapeXml(context.acsUrl)}" InResponseTo="${escapeXml(context.inResponseTo)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${escapeXml(context.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${instant(subject.authTime * 1000)}" SessionIndex="${escapeXml(subject.sessionIndex)}"><saml:AuthnContext><saml:AuthnContextClassRef>${context_}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`;
  const response =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${now}" Destination="${escapeXml(context.acsUrl)}" InResponseTo="${escapeXml(context.inResponseTo)}">` +
    issuer +
    `<samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status>` +
    assertion +
    `</samlp:Response>`;
  const signedAssertion = signEnveloped(response, { id: assertionId, localName: 'Assertion', privateKey: key.privateKey, certificatePem: key.certificatePem, after: 'Issuer' });
  if (!options.signResponse) return signedAssertion;
  return signEnveloped(signedAssertion, { id: responseId, localName: 'Response', privateKey: key.privateKey, certificatePem: key.certificatePem, after: 'Issuer' });
}

/** An error Response: a top-level status (Requester or Responder) and a second-level one, no assertion. */
export function errorResponse(context: ResponseContext, status: { top: string; second?: string; message?: string }): string {
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${samlId()}" Version="2.0" IssueInstant="${instant(context.nowMs)}" Destination="${escapeXml(context.acsUrl)}" InResponseTo="${escapeXml(context.inResponseTo)}">` +
    `<saml:Issuer>${escapeXml(context.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${status.top}">${status.second ? `<samlp:StatusCode Value="${status.second}"/>` : ''}</samlp:StatusCode>` +
    (status.message ? `<samlp:StatusMessage>${escapeXml(status.message)}</samlp:StatusMessage>` : '') +
    `</samlp:Status></samlp:Response>`
  );
}
