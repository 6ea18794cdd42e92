import type { FieldProblem } from '../errors';
import type { ClientType } from './model';

/**
 * Redirect URI rules (RFC 6749 §3.1.2, RFC 8252 §7, OAuth 2.0 Security BCP §4.1). Each URI is
 * registered exactly and checked in this order; the first rule it breaks is reported with the URI:
 * 1. No wildcard (`*`) anywhere: redirects are matched exactly, never by pattern.
 * 2. An absolute URI.
 * 3. No fragment (`#…`).
 * 4. No user name or password in it.
 * 5. `https` with a host, for any client type.
 * 6. `http` only for the local hosts `localhost`, `127.0.0.1` and `[::1]` (development, RFC 8252 §7.3).
 * 7. Any other scheme only for `native` clients, and only a reverse-domain scheme such as
 *    `com.example.app:/callback` (RFC 8252 §7.1), which names a domain the app's owner controls.
 * A URI listed twice is refused too.
 */

export const LOCAL_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;
export const MAX_URI_LENGTH = 2000;

/** The problem with one redirect URI, or undefined when it is acceptable. */
export function redirectUriProblem(uri: string, clientType: ClientType): string | undefined {
  if (uri.length > MAX_URI_LENGTH) return `"${uri.slice(0, 60)}…" is longer than ${MAX_URI_LENGTH} characters`;
  if (uri.includes('*')) return `"${uri}" contains a wildcard; register every redirect URI exactly`;
  const url = parseAbsolute(uri);
  if (!url) return `"${uri}" is not an absolute URI`;
  if (uri.includes('#')) return `"${uri}" has a fragment ("#…"), which is not allowed`;
  if (url.username || url.password) return `"${uri}" carries a user name or password`;
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return url.hostname ? undefined : `"${uri}" has no host`;
  if (scheme === 'http') {
    return LOCAL_HOSTS.has(url.hostname) ? undefined : `"${uri}" must use https; http is allowed only for localhost, 127.0.0.1 and [::1]`;
  }
  if (clientType === 'web') return `"${uri}" must use https (web clients may use http only for localhost, 127.0.0.1 and [::1])`;
  if (!REVERSE_DOMAIN_SCHEME.test(scheme)) {
    return `"${uri}" uses the custom scheme "${scheme}:"; native apps may use only reverse-domain schemes such as com.example.app:/callback`;
  }
  return undefined;
}

/** Checks a list of redirect-style URIs; problems are reported under `field.N`. */
export function checkRedirectUris(field: string, uris: readonly string[], clientType: ClientType): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  uris.forEach((uri, index) => {
    const problem = seen.has(uri) ? `"${uri}" is listed twice` : redirectUriProblem(uri, clientType);
    seen.add(uri);
    if (problem) problems.push({ path: `${field}.${index}`, message: problem });
  });
  return problems;
}

/** An `https` URL, or `http` on a local host: what Latchkey itself fetches or sends people to. */
export function webUrlProblem(uri: string): string | undefined {
  return redirectUriProblem(uri, 'web');
}

function parseAbsolute(uri: string): URL | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) || /\s/.test(uri)) return undefined;
  try {
    return new URL(uri);
  } catch {
    return undefined;
  }
}

/** `http://` on a loopback IP literal, split around its port (RFC 8252 §7.3). */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?].*)?$/;

/**
 * Whether `requested` is one of a client's registered redirect URIs. The comparison is exact
 * (RFC 9700 §4.1), with one exception for native clients (RFC 8252 §7.3): an `http` redirect to the
 * loopback IP literals `127.0.0.1` or `[::1]` may name any port, since a native app listens on
 * whatever port the system gives it. Only the port is ignored, and only for those two literals:
 * `localhost` is compared exactly, since a name can resolve elsewhere (RFC 8252 §8.3).
 */
export function redirectUriRegistered(registered: readonly string[], requested: string, clientType: ClientType): boolean {
  if (registered.includes(requested)) return true;
  if (clientType !== 'native') return false;
  const loopback = withoutLoopbackPort(requested);
  return loopback !== undefined && registered.some((uri) => withoutLoopbackPort(uri) === loopback);
}

function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_REDIRECT.exec(uri);
  if (!match) return undefined;
  const [, host, port, rest = ''] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  return `http://${host}${rest}`;
}
