import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { buildSelfSignedCertificate } from '../../src/adapters/x509-certificate';

/** A certificate (PEM) for `publicKey`, signed by `privateKey` itself; valid from a minute before `now` for a day. */
function selfSigned(
  { privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject },
  algorithm: 'ECDSA-SHA256' | 'RSA-SHA256',
  commonName: string,
  now: number,
): Promise<string> {
  return buildSelfSignedCertificate(
    {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      algorithm,
      commonName,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      keyUsage: ['digitalSignature'],
    },
    (tbs) => sign('sha256', tbs, privateKey),
  );
}

/** A self-signed P-256 client certificate and its key (PEM), as a client of `self_signed_tls_client_auth` makes one. */
export async function clientCertificate(commonName: string): Promise<{ key: string; cert: string }> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = await selfSigned(pair, 'ECDSA-SHA256', commonName, Date.now());
  return { key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert };
}

/** An RSA key and its self-signed certificate (PEM), as a SAML service provider registers one to sign its AuthnRequests. */
export async function samlSigningCertificate(commonName: string, now = Date.now()): Promise<{ privateKey: KeyObject; certificate: string }> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey: pair.privateKey, certificate: await selfSigned(pair, 'RSA-SHA256', commonName, now) };
}
