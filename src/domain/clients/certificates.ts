import { createHash, X509Certificate } from 'node:crypto';

/**
 * Client certificates for self-signed mutual TLS (RFC 8705 §2.2): a client registers one
 * certificate; a request authenticates when the certificate presented in the TLS handshake is that
 * very certificate, compared by SHA-256 thumbprint of the DER bytes. No chain is built: the
 * registration is the trust.
 */

/** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('base64url');
}

/** Parses one PEM certificate, or answers why it cannot be registered. */
export function parseRegisteredCertificate(pem: string, nowMs: number): { certificate: X509Certificate } | { problem: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks !== 1) return { problem: 'must be exactly one PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)' };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return { problem: 'is not a readable X.509 certificate' };
  }
  if (Date.parse(certificate.validTo) <= nowMs) return { problem: `expired on ${new Date(certificate.validTo).toISOString()}` };
  return { certificate };
}

/** The thumbprint of a presented PEM certificate, or undefined when it cannot be read. */
export function presentedThumbprint(pem: string | undefined): string | undefined {
  if (!pem) return undefined;
  try {
    return certificateThumbprint(new X509Certificate(pem));
  } catch {
    return undefined;
  }
}
