import { generateKeyPairSync, sign } from 'node:crypto';
import { buildSelfSignedCertificate } from '../../src/adapters/x509-certificate';

/** A self-signed P-256 client certificate and its key (PEM), as a client of `self_signed_tls_client_auth` makes one. */
export async function clientCertificate(commonName: string): Promise<{ key: string; cert: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = await buildSelfSignedCertificate(
    {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      algorithm: 'ECDSA-SHA256',
      commonName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keyUsage: ['digitalSignature'],
    },
    (tbs) => sign('sha256', tbs, privateKey),
  );
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert };
}
