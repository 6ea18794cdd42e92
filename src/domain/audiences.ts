/**
 * The normal form of a resource audience, so that one API has one audience and two spellings of it
 * cannot be registered side by side (a resource server's guard compares `aud` as a string).
 *
 * Rules, in the order they are applied (RFC 3986 §6.2.2 syntax-based and §6.2.3 scheme-based
 * normalisation, for `https`):
 * 1. At most 512 characters, printable ASCII only: no spaces or control characters, no backslash
 *    (which WHATWG parsers read as `/`), and no non-ASCII character. A host outside ASCII is refused
 *    rather than converted, so a homoglyph is never silently turned into someone's punycode name:
 *    write the host in punycode (`xn--…`).
 * 2. No fragment at all (`#`, even empty), and no empty query (a bare `?`).
 * 3. The scheme is `https`, in any case; an authority is present and carries no user info.
 * 4. The host is a DNS name (letters, digits, `-`, `.`), an IPv4 address or a bracketed IPv6
 *    address, lower-cased; a trailing dot (`api.example.com.`) or an empty label is refused.
 * 5. The port is dropped when empty or 443 (leading zeros too); any other is written in decimal.
 * 6. Percent-encodings must be well formed; those of unreserved characters are decoded (`%6F` → `o`),
 *    the others upper-cased (`%2f` → `%2F`). Characters RFC 3986 does not allow in a path or query
 *    are refused.
 * 7. Dot segments are removed (RFC 3986 §5.2.4), after decoding, so `%2E%2E` goes too.
 * 8. A trailing slash is dropped (`/orders/` → `/orders`), since APIs treat the two as one and so must
 *    audiences; so is the root path's (`https://api.example.com/` → `https://api.example.com`). §6.2.3
 *    would write an empty path as `/`; Latchkey writes the slash-less form instead, the spelling
 *    most resource servers are configured with, so tokens keep the `aud` they were given before
 *    normalisation existed.
 * The query, when present and not empty, is kept, normalised by rule 6.
 */

export const MAX_AUDIENCE_LENGTH = 512;

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** pchar without percent-encodings (RFC 3986 §3.3), plus `/`; the query also allows `?`. */
const PATH_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;
const DNS_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

export type AudienceResult = { readonly audience: string } | { readonly problem: string };

/** The normal form of an `https` audience, or what is wrong with it. */
export function normaliseAudience(value: string): AudienceResult {
  if (value.length > MAX_AUDIENCE_LENGTH) return { problem: `must be at most ${MAX_AUDIENCE_LENGTH} characters` };
  if (value.includes('\\')) return { problem: 'must not contain a backslash' };
  if (/[^\x21-\x7e]/.test(value)) {
    return { problem: 'must be printable ASCII without spaces: write a host in punycode (xn--…) and percent-encode anything else' };
  }
  if (value.includes('#')) return { problem: 'must not have a fragment (not even an empty "#")' };
  const parts = /^([^:/?]+):\/\/([^/?]*)([^?]*)(\?(.*))?$/.exec(value);
  if (!parts || parts[1]!.toLowerCase() !== 'https') return { problem: 'must be an absolute https URI' };
  const [, , authority, rawPath, questionMark, rawQuery] = parts as unknown as [string, string, string, string, string | undefined, string | undefined];
  if (questionMark !== undefined && !rawQuery) return { problem: 'must not have an empty query (a bare "?")' };
  if (authority.includes('@')) return { problem: 'must not carry user info' };

  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!;
  const host = hostPort[1]!.toLowerCase();
  const port = hostPort[2];
  if (!host) return { problem: 'must name a host' };
  if (host.endsWith('.')) return { problem: 'must not end its host with a dot' };
  if (!DNS_NAME.test(host) && !IPV6_LITERAL.test(host)) return { problem: 'must name its host with letters, digits, "-" and "." only (or an IP address)' };
  let portPart = '';
  if (port !== undefined && port !== '') {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) return { problem: 'must have a port from 1 to 65535' };
    if (Number(port) !== 443) portPart = `:${Number(port)}`;
  }

  const path = normalisePercentEncoding(rawPath, PATH_CHAR);
  if (path === undefined) return { problem: 'must have a path made of characters RFC 3986 allows, with well-formed percent-encodings' };
  let query: string | undefined;
  if (rawQuery !== undefined) {
    query = normalisePercentEncoding(rawQuery, /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/);
    if (query === undefined) return { problem: 'must have a query made of characters RFC 3986 allows, with well-formed percent-encodings' };
  }
  let cleaned = removeDotSegments(path);
  while (cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  return { audience: `https://${host}${portPart}${cleaned}${query !== undefined ? `?${query}` : ''}` };
}

/** The form audiences are compared in at token time: the normal form where there is one, else the value as it is (`urn:` audiences). */
export function comparableAudience(value: string): string {
  const result = normaliseAudience(value);
  return 'audience' in result ? result.audience : value;
}

/** Decodes percent-encoded unreserved characters, upper-cases the rest; undefined for a character `allowed` refuses or a broken encoding. */
function normalisePercentEncoding(text: string, allowed: RegExp): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      const decoded = String.fromCharCode(Number.parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (allowed.test(char)) {
      out += char;
    } else {
      return undefined;
    }
  }
  return out;
}

/** RFC 3986 §5.2.4. */
function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '/..') {
      input = '/';
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const segment = next === -1 ? input : input.slice(0, next);
      output += segment;
      input = input.slice(segment.length);
    }
  }
  return output;
}
