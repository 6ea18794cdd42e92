import { sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { StoredSamlClient } from '../../src/domain/clients/model';
import { readAuthnRequest, type ReceivedRequest } from '../../src/domain/saml/authn-request';
import { samlSigningCertificate } from '../support/certificates';
import { RSA_SHA256 } from '../../src/domain/saml/xml';
import { SignedXml } from 'xml-crypto';

const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

/** The AuthnRequest reader's rules, without HTTP: what it takes from a request and what it refuses. */

const SSO_URL = 'https://idp.example.com/saml/cl_x/sso';
const NOW = Date.parse('2026-01-01T12:00:00Z');
const client = { spEntityId: 'https://sp.example.com', acsUrl: 'https://sp.example.com/acs', nameIdType: 'email' } as StoredSamlClient;

const xml = (attributes = '', issuer = client.spEntityId) =>
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_abc" Version="2.0" IssueInstant="2026-01-01T11:58:00Z"${attributes}><saml:Issuer>${issuer}</saml:Issuer></samlp:AuthnRequest>`;
const post = (body: string, extra: Record<string, string> = {}): ReceivedRequest => ({
  binding: 'post',
  params: new URLSearchParams({ SAMLRequest: Buffer.from(body).toString('base64'), ...extra }),
  rawQuery: '',
});

/** A service provider that signs its requests, registered with its certificate. */
async function signingServiceProvider() {
  const { privateKey, certificate } = await samlSigningCertificate('sp', NOW);
  return { privateKey, certificate, signingClient: { ...client, spSigningCertificate: certificate, requireSignedRequests: true } as StoredSamlClient };
}

describe('reading an AuthnRequest', () => {
  it('answers the ID, the registered ACS URL, RelayState, ForceAuthn and IsPassive', () => {
    expect(readAuthnRequest(client, SSO_URL, post(xml(` ForceAuthn="true" Destination="${SSO_URL}"`), { RelayState: 'r' }), NOW)).toEqual({
      id: '_abc',
      issueInstantMs: Date.parse('2026-01-01T11:58:00Z'),
      acsUrl: client.acsUrl,
      relayState: 'r',
      forceAuthn: true,
      isPassive: false,
    });
  });

  it.each([
    [post(xml(' ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"')), 'ProtocolBinding must be'],
    [post(xml().replace('Version="2.0"', 'Version="1.1"')), 'Version must be 2.0'],
    [post(xml().replace('ID="_abc"', 'ID="1-not-an-xml-id"')), 'ID must be an XML ID'],
    [post(xml().replace('2026-01-01T11:58:00Z', 'yesterday')), 'IssueInstant must be a UTC xs:dateTime'],
    [post(xml(), { RelayState: 'x'.repeat(81) }), 'RelayState must be at most 80 bytes'],
    [{ binding: 'post', params: new URLSearchParams('SAMLRequest=a&SAMLRequest=b'), rawQuery: '' } as ReceivedRequest, 'must not be repeated'],
    [{ binding: 'post', params: new URLSearchParams(), rawQuery: '' } as ReceivedRequest, 'SAMLRequest is required'],
    [{ binding: 'post', params: new URLSearchParams({ SAMLRequest: '<xml>' }), rawQuery: '' } as ReceivedRequest, 'SAMLRequest must be base64'],
  ])('refuses %#: %s', (received, message) => {
    expect(() => readAuthnRequest(client, SSO_URL, received, NOW)).toThrow(message);
  });

  it('verifies a redirect signature over the query string as sent, RSA-SHA256 only', async () => {
    const { privateKey, signingClient } = await signingServiceProvider();
    const signedQuery = (sigAlg: string, hash: string) => {
      const octets = `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml())).toString('base64'))}&RelayState=r%20s&SigAlg=${encodeURIComponent(sigAlg)}`;
      return `${octets}&Signature=${encodeURIComponent(sign(hash, Buffer.from(octets), privateKey).toString('base64'))}`;
    };
    const redirect = (rawQuery: string): ReceivedRequest => ({ binding: 'redirect', params: new URLSearchParams(rawQuery), rawQuery });
    expect(readAuthnRequest(signingClient, SSO_URL, redirect(signedQuery('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'sha256')), NOW).relayState).toBe('r s');
    expect(() => readAuthnRequest(signingClient, SSO_URL, redirect(signedQuery('http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'sha1')), NOW)).toThrow('SigAlg must be');
    const resigned = signedQuery('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'sha256').replace('RelayState=r%20s', 'RelayState=r%20t');
    expect(() => readAuthnRequest(signingClient, SSO_URL, redirect(resigned), NOW)).toThrow('the request signature does not verify');
  });

  it('verifies a POST signature with SHA-256 digests only: a SHA-1 digest is refused even when the signature holds', async () => {
    const { privateKey, certificate, signingClient } = await signingServiceProvider();
    const signedWith = (digestAlgorithm: string) => {
      const signer = new SignedXml({ privateKey, publicCert: certificate, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXCLUSIVE_C14N });
      const target = "//*[local-name(.)='AuthnRequest']";
      signer.addReference({ xpath: target, digestAlgorithm, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', EXCLUSIVE_C14N] });
      signer.computeSignature(xml(), { prefix: 'ds', location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
      return post(signer.getSignedXml());
    };
    expect(readAuthnRequest(signingClient, SSO_URL, signedWith('http://www.w3.org/2001/04/xmlenc#sha256'), NOW).id).toBe('_abc');
    expect(() => readAuthnRequest(signingClient, SSO_URL, signedWith('http://www.w3.org/2000/09/xmldsig#sha1'), NOW)).toThrow('must digest with SHA-256');
  });
});
