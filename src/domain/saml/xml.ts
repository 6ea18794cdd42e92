import type { KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { InvalidRequest } from '../errors';

/**
 * XML parsing and XML signatures for SAML, all signature work through xml-crypto (no canonicalization
 * or reference handling of our own: that is where signature-wrapping attacks live).
 *
 * Rules this module enforces:
 * - A document with a DOCTYPE (and so any entity declaration) is refused before parsing: no DTDs,
 *   no external entities, no entity expansion.
 * - A malformed document is refused, never half-read.
 * - Signatures are RSA-SHA256 with SHA-256 digests and exclusive canonicalization; a verified
 *   signature must cover exactly one reference, to the document's root element, and the caller gets
 *   back only the XML xml-crypto reports as signed (`getSignedReferences`), never the original
 *   document: whatever an attacker wraps around or beside the signed element is dropped.
 */

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export function parseXml(text: string, what: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new InvalidRequest(`the ${what} must not contain a DOCTYPE or entity declarations`);
  const fail = (message: string) => {
    throw new InvalidRequest(`the ${what} is not well-formed XML: ${String(message).split('\n')[0]!.slice(0, 200)}`);
  };
  const document = new DOMParser({ errorHandler: { warning: () => undefined, error: fail, fatalError: fail } }).parseFromString(text, 'text/xml');
  if (!document?.documentElement) fail('no root element');
  return document;
}

/** The direct children of `parent` with this namespace and local name. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).namespaceURI === namespace && (node as Element).localName === localName) found.push(node as Element);
  }
  return found;
}

/**
 * Signs the element with `ID="{id}"` (enveloped, RSA-SHA256, exclusive c14n), placing the signature
 * after the element's `Issuer` child (SAML core §5.4.1 and saml-metadata: the signature is the first
 * child otherwise) and the certificate in its `KeyInfo`.
 */
export function signEnveloped(xml: string, options: { id: string; localName: string; privateKey: KeyObject; certificatePem: string; after?: 'Issuer' }): string {
  const signer = new SignedXml({
    privateKey: options.privateKey,
    publicCert: options.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXCLUSIVE_C14N,
  });
  const target = `//*[local-name(.)='${options.localName}' and @ID='${options.id}']`;
  signer.addReference({ xpath: target, digestAlgorithm: SHA256, transforms: [ENVELOPED, EXCLUSIVE_C14N] });
  const location = options.after ? { reference: `${target}/*[local-name(.)='${options.after}']`, action: 'after' as const } : { reference: target, action: 'prepend' as const };
  signer.computeSignature(xml, { prefix: 'ds', location });
  return signer.getSignedXml();
}

/**
 * Verifies the one enveloped signature of a document's root with the given certificate, and answers
 * the signed XML (the root element as xml-crypto canonicalized and digested it).
 */
export function verifiedRoot(xml: string, document: Document, certificatePem: string, what: string): string {
  const root = document.documentElement!;
  const signatures = document.getElementsByTagNameNS(NS.dsig, 'Signature');
  if (signatures.length !== 1) throw new InvalidRequest(`the ${what} must carry exactly one XML signature, it has ${signatures.length}`);
  const signature = signatures.item(0)!;
  if (signature.parentNode !== root) throw new InvalidRequest(`the ${what}'s signature must sign its root element`);
  // The certificate is the one registered; a KeyInfo in the message is never trusted.
  const verifier = new SignedXml({ publicCert: certificatePem, getCertFromKeyInfo: () => null });
  verifier.loadSignature(signature);
  const algorithm = signature.getElementsByTagNameNS(NS.dsig, 'SignatureMethod').item(0)?.getAttribute('Algorithm');
  if (algorithm !== RSA_SHA256) throw new InvalidRequest(`the ${what} must be signed with RSA-SHA256 (${RSA_SHA256})`);
  const references = signature.getElementsByTagNameNS(NS.dsig, 'Reference');
  for (let index = 0; index < references.length; index++) {
    const digest = references.item(index)!.getElementsByTagNameNS(NS.dsig, 'DigestMethod').item(0)?.getAttribute('Algorithm');
    if (digest !== SHA256) throw new InvalidRequest(`the ${what}'s signature must digest with SHA-256 (${SHA256})`);
  }
  let valid = false;
  try {
    valid = verifier.checkSignature(xml);
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidRequest(`the ${what}'s signature does not verify with the registered signing certificate`);
  const signed = verifier.getSignedReferences();
  const rootId = root.getAttribute('ID');
  if (signed.length !== 1 || references.length !== 1 || !rootId || references.item(0)!.getAttribute('URI') !== `#${rootId}`) {
    throw new InvalidRequest(`the ${what}'s signature must cover its root element and nothing else`);
  }
  return signed[0]!;
}

/** Escapes text and attribute values alike (both quote kinds included). */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
