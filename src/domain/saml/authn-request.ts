import { createPublicKey, verify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { StoredSamlClient } from '../clients/model';
import { InvalidRequest } from '../errors';
import { childElements, NS, parseXml, RSA_SHA256, verifiedRoot } from './xml';

/**
 * Reads and checks a SAML 2.0 `AuthnRequest` (SAML core §3.4.1) received over the HTTP-Redirect or
 * HTTP-POST binding (SAML bindings §3.4, §3.5).
 *
 * Rules, in the order they are checked:
 * 1. `SAMLRequest` is present once, at most 64 KiB decoded (the redirect binding's DEFLATE is
 *    inflated with the same cap), and `RelayState` at most 80 bytes (bindings §3.4.3).
 * 2. The XML has no DOCTYPE and is well-formed; its root is a protocol `AuthnRequest`, Version 2.0.
 * 3. When the client requires signed requests, the signature verifies with its registered
 *    certificate, RSA-SHA256 only: for the redirect binding over the query string exactly as sent
 *    (bindings §3.4.4.1); for the POST binding the enveloped XML signature of the root, and only the
 *    XML that xml-crypto reports as signed is read from then on (signature-wrapping defence).
 * 4. `Issuer` is the client's registered `spEntityId`.
 * 5. `Destination`, when present, is this client's SSO URL.
 * 6. `AssertionConsumerServiceURL`, when present, is the registered `acsUrl`, compared exactly;
 *    `ProtocolBinding`, when present, is HTTP-POST (the only binding responses use).
 * 7. `IssueInstant` lies within five minutes of now, either way (clock skew included).
 * 8. `ID` is an XML ID of at most 256 characters; its single use is the caller's (replay) business.
 */

export type SamlBinding = 'redirect' | 'post';

export const REQUEST_MAX_AGE_SECONDS = 5 * 60;
const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_RELAY_STATE_BYTES = 80;
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface AuthnRequest {
  readonly id: string;
  readonly issueInstantMs: number;
  readonly acsUrl: string;
  readonly relayState?: string;
  readonly forceAuthn: boolean;
  readonly isPassive: boolean;
}

export interface ReceivedRequest {
  readonly binding: SamlBinding;
  /** The query parameters (redirect) or form fields (POST). */
  readonly params: URLSearchParams;
  /** The query string exactly as received, for the redirect binding's signature. */
  readonly rawQuery: string;
}

export function readAuthnRequest(client: StoredSamlClient, ssoUrl: string, received: ReceivedRequest, nowMs: number): AuthnRequest {
  const { params, binding } = received;
  // Rule 1.
  const encoded = single(params, 'SAMLRequest');
  if (!encoded) throw new InvalidRequest('SAMLRequest is required');
  const relayState = single(params, 'RelayState') ?? undefined;
  if (relayState !== undefined && Buffer.byteLength(relayState) > MAX_RELAY_STATE_BYTES) throw new InvalidRequest(`RelayState must be at most ${MAX_RELAY_STATE_BYTES} bytes`);
  const xml = decode(encoded, binding);

  // Rule 2.
  let document = parseXml(xml, 'SAMLRequest');
  checkRoot(document.documentElement!);

  // Rule 3.
  if (client.requireSignedRequests) {
    if (!client.spSigningCertificate) throw new InvalidRequest('this client requires signed requests but has no signing certificate registered');
    if (binding === 'redirect') verifyQuerySignature(received.rawQuery, client.spSigningCertificate);
    else document = parseXml(verifiedRoot(xml, document, client.spSigningCertificate, 'SAMLRequest'), 'signed SAMLRequest');
  }
  const root = document.documentElement!;
  checkRoot(root);

  // Rule 4.
  const issuers = childElements(root, NS.assertion, 'Issuer');
  const issuer = issuers.length === 1 ? issuers[0]!.textContent?.trim() : undefined;
  if (issuer !== client.spEntityId) throw new InvalidRequest(`the AuthnRequest's Issuer must be this client's registered spEntityId`);

  // Rule 5.
  const destination = root.getAttribute('Destination');
  if (destination && destination !== ssoUrl) throw new InvalidRequest(`the AuthnRequest's Destination must be ${ssoUrl}`);

  // Rule 6.
  const acsUrl = root.getAttribute('AssertionConsumerServiceURL');
  if (acsUrl && acsUrl !== client.acsUrl) throw new InvalidRequest("the AuthnRequest's AssertionConsumerServiceURL is not the registered acsUrl of this client");
  const protocolBinding = root.getAttribute('ProtocolBinding');
  if (protocolBinding && protocolBinding !== HTTP_POST) throw new InvalidRequest(`the AuthnRequest's ProtocolBinding must be ${HTTP_POST}`);

  // Rule 7.
  const issueInstantText = root.getAttribute('IssueInstant') ?? '';
  const issueInstantMs = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(issueInstantText) ? Date.parse(issueInstantText) : Number.NaN;
  if (Number.isNaN(issueInstantMs)) throw new InvalidRequest("the AuthnRequest's IssueInstant must be a UTC xs:dateTime");
  if (Math.abs(nowMs - issueInstantMs) > REQUEST_MAX_AGE_SECONDS * 1000) {
    throw new InvalidRequest(`the AuthnRequest was issued more than ${REQUEST_MAX_AGE_SECONDS / 60} minutes from now; send a new one`);
  }

  // Rule 8.
  const id = root.getAttribute('ID') ?? '';
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(id)) throw new InvalidRequest("the AuthnRequest's ID must be an XML ID of at most 256 characters");

  return {
    id,
    issueInstantMs,
    acsUrl: client.acsUrl,
    ...(relayState !== undefined ? { relayState } : {}),
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
  };
}

function single(params: URLSearchParams, name: string): string | null {
  if (params.getAll(name).length > 1) throw new InvalidRequest(`parameter "${name}" must not be repeated`);
  return params.get(name);
}

function decode(encoded: string, binding: SamlBinding): string {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(encoded)) throw new InvalidRequest('SAMLRequest must be base64');
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length > MAX_REQUEST_BYTES) throw new InvalidRequest(`SAMLRequest must be at most ${MAX_REQUEST_BYTES} bytes`);
  if (binding === 'post') return bytes.toString('utf8');
  try {
    return inflateRawSync(bytes, { maxOutputLength: MAX_REQUEST_BYTES }).toString('utf8');
  } catch {
    throw new InvalidRequest(`SAMLRequest must be DEFLATE-compressed (RFC 1951) and at most ${MAX_REQUEST_BYTES} bytes inflated`);
  }
}

function checkRoot(root: Element): void {
  if (root.namespaceURI !== NS.protocol || root.localName !== 'AuthnRequest') throw new InvalidRequest('SAMLRequest must be a SAML 2.0 AuthnRequest');
  if (root.getAttribute('Version') !== '2.0') throw new InvalidRequest("the AuthnRequest's Version must be 2.0");
}

/**
 * Bindings §3.4.4.1: the signature covers `SAMLRequest=…&RelayState=…&SigAlg=…` with the values as
 * they were URL-encoded in the request, so the raw query string is read, not the decoded values.
 */
function verifyQuerySignature(rawQuery: string, certificatePem: string): void {
  const raw = new Map<string, string[]>();
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    raw.set(name, [...(raw.get(name) ?? []), eq < 0 ? '' : part.slice(eq + 1)]);
  }
  const one = (name: string) => {
    const values = raw.get(name) ?? [];
    if (values.length > 1) throw new InvalidRequest(`parameter "${name}" must not be repeated`);
    return values[0];
  };
  const sigAlg = one('SigAlg');
  const signature = one('Signature');
  if (!sigAlg || !signature) throw new InvalidRequest('this client requires signed requests: send SigAlg and Signature');
  if (decodeURIComponent(sigAlg) !== RSA_SHA256) throw new InvalidRequest(`SigAlg must be ${RSA_SHA256}`);
  const relayState = one('RelayState');
  const signed = [`SAMLRequest=${one('SAMLRequest')}`, ...(relayState !== undefined ? [`RelayState=${relayState}`] : []), `SigAlg=${sigAlg}`].join('&');
  let valid = false;
  try {
    valid = verify('sha256', Buffer.from(signed), createPublicKey(certificatePem), Buffer.from(decodeURIComponent(signature), 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidRequest('the request signature does not verify with the registered signing certificate');
}
