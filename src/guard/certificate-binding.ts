import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { GuardError } from './errors';

/**
 * Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf` claim carries `x5t#S256` may
 * be used only over a mutual-TLS connection made with that very certificate. Rules, in order:
 * 1. A token without `cnf` is a bearer token; a presented certificate changes nothing.
 * 2. A `cnf` that is not an object, or that names a confirmation method other than `x5t#S256` and
 *    `jkt` (a proof the guard cannot check), is refused: TOKEN_INVALID. A `cnf` with `jkt` alone is
 *    DPoP-bound only (dpop-binding.ts) and needs no certificate.
 * 3. A bound token without a presented certificate (or thumbprint) is refused: CERTIFICATE_REQUIRED.
 * 4. The SHA-256 thumbprint of the presented certificate's DER bytes must equal `x5t#S256`, compared
 *    in constant time on the two 32-byte digests: otherwise CERTIFICATE_MISMATCH.
 */

/** The client certificate of the request's mutual-TLS connection, as the resource server has it. */
export type PresentedCertificate =
  /** PEM text (e.g. API Gateway's `requestContext.authentication.clientCert.clientCertPem`) or DER bytes. */
  | { readonly certificate: string | Uint8Array; readonly thumbprint?: never }
  /** Already the base64url SHA-256 thumbprint of the DER bytes (RFC 8705 §3.1), e.g. from a TLS-terminating proxy. */
  | { readonly thumbprint: string; readonly certificate?: never };

const SHA256_BYTES = 32;

/**
 * Enforces the rules above for one token's `cnf` claim and the certificate the request presented.
 * @throws GuardError TOKEN_INVALID, CERTIFICATE_REQUIRED or CERTIFICATE_MISMATCH.
 */
export function checkCertificateBinding(cnf: unknown, presented: PresentedCertificate | undefined): void {
  if (cnf === undefined) return;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw new GuardError('TOKEN_INVALID', 'the "cnf" claim is not an object');
  const methods = Object.keys(cnf);
  if (methods.length === 0 || methods.some((method) => method !== 'x5t#S256' && method !== 'jkt')) {
    throw new GuardError('TOKEN_INVALID', 'the "cnf" claim names a confirmation method the guard cannot check (only "x5t#S256" and "jkt" are supported)');
  }
  if (!methods.includes('x5t#S256')) return;
  const expected = decodeThumbprint((cnf as Record<string, unknown>)['x5t#S256']);
  if (!expected) throw new GuardError('TOKEN_INVALID', 'the "cnf" claim\'s "x5t#S256" is not a base64url SHA-256 thumbprint');
  if (!presented) {
    throw new GuardError('CERTIFICATE_REQUIRED', 'the token is bound to a client certificate (cnf.x5t#S256); it must be presented over mutual TLS');
  }
  const actual = presentedDigest(presented);
  if (!actual || !timingSafeEqual(actual, expected)) {
    throw new GuardError('CERTIFICATE_MISMATCH', 'the presented client certificate is not the one the token is bound to');
  }
}

function decodeThumbprint(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === SHA256_BYTES ? bytes : undefined;
}

function presentedDigest(presented: PresentedCertificate): Buffer | undefined {
  if (presented.thumbprint !== undefined) return decodeThumbprint(presented.thumbprint);
  const { certificate } = presented;
  let der: Buffer;
  try {
    // Parsing (not just hashing) the input makes sure it is one certificate, not arbitrary bytes.
    der = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate)).raw;
  } catch {
    return undefined;
  }
  return createHash('sha256').update(der).digest();
}
