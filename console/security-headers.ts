/**
 * The headers every console response carries, locally and from CloudFront (one source for both).
 *
 * The Content-Security-Policy allows only the console's own files and its own origin: no inline
 * script or style, no eval, no third-party host, no framing (clickjacking), no `<base>` rewriting and
 * forms posting only to the console's origin. Together with a token kept in memory only, an injected
 * string in an API answer has nowhere to run and nowhere to send a token.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** HSTS only where the console is served over HTTPS (CloudFront); a browser ignores it over plain http. */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;
