import { ENV, issuer } from '../config';
import type { PresentedDpop } from '../domain/dpop';
import type { HttpEvent } from './handler';
import { header } from './request';

/**
 * The HTTP side of DPoP (RFC 9449): the request's `DPoP` header, and the method and URL a proof
 * must name. The URL is the issuer's base URL and the route's path, as discovery and the API
 * reference advertise it, never the `Host` header a client sets; for a request that came over the
 * mutual-TLS domain (it carries a client certificate), that domain's base URL (RFC 8705 §5 aliases).
 * Checking is the domain's (src/domain/dpop.ts).
 */
export function dpopOf(event: HttpEvent): PresentedDpop {
  const mtlsBaseUrl = process.env[ENV.mtlsBaseUrl];
  const base = mtlsBaseUrl && event.requestContext.authentication?.clientCert ? mtlsBaseUrl.replace(/\/+$/, '') : issuer();
  return { proof: header(event, 'dpop'), method: event.requestContext.http.method, url: `${base}${event.rawPath}` };
}

/** An `Authorization` header's access token and scheme: `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1). */
export function authorizationToken(authorization: string | undefined): { readonly scheme: 'Bearer' | 'DPoP'; readonly token: string } | undefined {
  const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! };
}
