import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

/** Reading and checking Latchkey tokens in the browser, with jose's browser build (WebCrypto). */

export interface DecodedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

/** The header and claims of a compact JWS, unverified; undefined for anything else (e.g. an opaque token). */
export function decodeToken(token: string): DecodedToken | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

export type Verification = { readonly valid: true } | { readonly valid: false; readonly reason: string };

// One key set for the page: jose caches it and refetches for a `kid` it does not know yet.
let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

/** Verifies the signature against this deployment's JWKS (same origin), then the lifetime. */
export async function verifyToken(token: string): Promise<Verification> {
  jwks ??= createRemoteJWKSet(new URL('/.well-known/jwks.json', location.origin));
  try {
    await jwtVerify(token, jwks, { clockTolerance: 5 });
    return { valid: true };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return { valid: false, reason: 'expired: the signature is good but the token is past its exp' };
    if (code === 'ERR_JWKS_NO_MATCHING_KEY') return { valid: false, reason: 'no key of this deployment has its kid: another issuer, or a retired key' };
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { valid: false, reason: 'the signature does not verify: the token was changed or forged' };
    return { valid: false, reason: (error as Error).message };
  }
}

/** "in 59 minutes" / "3 minutes ago", against the browser's clock. */
export function describeExpiry(exp: number | undefined, nowSeconds = Math.floor(Date.now() / 1000)): string {
  if (exp === undefined) return 'no expiry (exp) claim';
  const delta = exp - nowSeconds;
  const minutes = Math.round(Math.abs(delta) / 60);
  const span = minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.abs(delta)} seconds`;
  return `${new Date(exp * 1000).toISOString()} (${delta >= 0 ? `expires in ${span}` : `expired ${span} ago`})`;
}
