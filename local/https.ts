import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import { buildSelfSignedCertificate } from '../src/adapters/x509-certificate';

/**
 * The local runtime's mutual-TLS listener: the same API over HTTPS, asking every client for a
 * certificate, as API Gateway does on a custom domain with mutual TLS. It accepts self-signed client
 * certificates (`rejectUnauthorized: false`) and passes them on in the request context, where in AWS
 * the truststore would have vetted them first; Latchkey's own check (the registered thumbprint) is
 * the same in both places.
 *
 * Its server certificate (EC P-256, for localhost, 127.0.0.1 and ::1) is made on first start and
 * kept in the data folder, so a client can pin it across restarts.
 */

export interface TlsCredentials {
  readonly key: string;
  readonly cert: string;
}

export async function ensureLocalTlsCredentials(dataDir: string): Promise<TlsCredentials> {
  const folder = join(dataDir, 'tls');
  const keyFile = join(folder, 'server-key.pem');
  const certFile = join(folder, 'server-cert.pem');
  if (existsSync(keyFile) && existsSync(certFile)) {
    const cert = readFileSync(certFile, 'utf8');
    if (Date.parse(new X509Certificate(cert).validTo) > Date.now() + 86_400_000) return { key: readFileSync(keyFile, 'utf8'), cert };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await buildSelfSignedCertificate(
    {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      algorithm: 'ECDSA-SHA256',
      commonName: 'localhost',
      organization: 'Latchkey local runtime',
      notBefore,
      // 825 days: the longest validity that TLS clients accept for a server certificate.
      notAfter: new Date(notBefore.getTime() + 825 * 86_400_000),
      keyUsage: ['digitalSignature'],
      serverAuth: true,
      altNames: ['localhost', '127.0.0.1', '::1'],
    },
    (tbs) => sign('sha256', tbs, privateKey),
  );
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  mkdirSync(folder, { recursive: true });
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { key, cert };
}

export function createMtlsServer(listener: RequestListener, credentials: TlsCredentials): Server {
  return createServer({ ...credentials, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, listener);
}
