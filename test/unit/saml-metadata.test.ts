import { X509Certificate, generateKeyPairSync, sign } from 'node:crypto';
import * as samlify from 'samlify';
import { describe, expect, it } from 'vitest';
import { time } from '../../src/adapters/der';
import { buildSelfSignedCertificate } from '../../src/adapters/x509-certificate';
import { escapeXml, idpMetadataXml } from '../../src/domain/saml/metadata';

describe('IdP metadata XML', () => {
  it('escapes every value it places in the XML', async () => {
    expect(escapeXml(`a&b<c>"d"'e'`)).toBe('a&#38;b&#60;c&#62;&#34;d&#34;&#39;e&#39;');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const certificatePem = await buildSelfSignedCertificate(
      {
        subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
        algorithm: 'RSA-SHA256',
        commonName: 'test',
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 86_400_000),
        keyUsage: ['digitalSignature'],
      },
      (tbs) => sign('sha256', tbs, privateKey),
    );
    const entityId = 'https://idp.example.com/saml?a=1&b="2"<x>';
    const xml = idpMetadataXml({ entityId, ssoUrl: 'https://idp.example.com/sso?x=1&y=2', certificates: [certificatePem], nameIdType: 'username', wantSignedRequests: false });
    expect(xml).not.toContain('&b=');
    const idp = samlify.IdentityProvider({ metadata: xml });
    expect(idp.entityMeta.getEntityID()).toBe(entityId);
    expect(idp.entityMeta.getSingleSignOnService('redirect')).toBe('https://idp.example.com/sso?x=1&y=2');
    expect(new X509Certificate(`-----BEGIN CERTIFICATE-----\n${idp.entityMeta.getX509Certificate('signing')}\n-----END CERTIFICATE-----`).verify(publicKey)).toBe(true);
  });
});

describe('DER time', () => {
  it('uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(time(new Date('2049-12-31T23:59:59.500Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });
});
