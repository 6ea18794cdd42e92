import ipaddr from 'ipaddr.js';

/**
 * Where Latchkey itself may send requests: enrichment webhooks and clients' `jwksUri` (server-side
 * request forgery, OWASP ASVS V12.6). Rules, in the order they are checked:
 * 1. The URL parses with the WHATWG URL parser, which also normalises numeric hosts
 *    (`0x7f000001`, `2130706433`, `127.1` all become `127.0.0.1`), so rules 4-5 see one form.
 * 2. No user name or password in it, and no fragment.
 * 3. `https` only. Plain `http` only while local targets are allowed (the local runtime), and then
 *    only to this machine.
 * 4. A deployed stage refuses `localhost` names and every IP literal outside global unicast:
 *    loopback, private, link-local (cloud metadata at 169.254.169.254 among them), CGNAT, unique
 *    local (fd00:ec2::254 too), multicast, unspecified, broadcast, reserved and documentation
 *    ranges, and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo).
 * 5. At call time (src/adapters/outbound-http.ts), every address the host name resolves to must pass
 *    rule 4's address test, and the connection goes to that checked address.
 * The ranges are ipaddr.js's (`range() === 'unicast'`), not a hand-kept list. IPv6 must also lie in
 * 2000::/3, the only block IANA allocates for global unicast (RFC 4291 §2.4): ipaddr.js calls the
 * deprecated IPv4-compatible form (`::127.0.0.1`) unicast.
 */

/** Whether local targets are allowed: only in the local runtime, which says so explicitly. */
export interface OutboundPolicy {
  readonly allowLocalTargets: boolean;
}

const MAX_URL_LENGTH = 2048;
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const LOCAL_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why Latchkey must not connect to this IP address, or undefined when it is a global unicast address. */
export function blockedAddressReason(address: string): string | undefined {
  const literal = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // `process` turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 address it maps.
    parsed = ipaddr.process(literal);
  } catch {
    return `"${address}" is not an IP address`;
  }
  const range = parsed.range();
  if (range !== 'unicast') return `${parsed.toString()} is a ${range} address`;
  if (parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6)) return `${parsed.toString()} is outside global unicast (2000::/3)`;
  return undefined;
}

/** Whether a URL host (as `URL.hostname` gives it) is an IP literal rather than a name. */
export function isIpLiteral(hostname: string): boolean {
  return ipaddr.isValid(hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);
}

/** The problem with an outbound URL under the policy, or undefined when Latchkey may call it. */
export function outboundUrlProblem(target: string, policy: OutboundPolicy): string | undefined {
  if (target.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'must be an absolute https:// URL';
  }
  if (url.username || url.password) return 'must not carry credentials in the URL';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'http:') {
    if (policy.allowLocalTargets && LOCAL_HOSTS.has(url.hostname)) return undefined;
    return policy.allowLocalTargets ? 'must use https:// (plain http:// is allowed only for localhost, 127.0.0.1 and [::1])' : 'must use https://';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (!url.hostname) return 'must name a host';
  if (policy.allowLocalTargets) return undefined;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point to this machine (localhost)';
  if (isIpLiteral(url.hostname)) {
    const blocked = blockedAddressReason(url.hostname);
    if (blocked) return `must not point to a private, loopback, link-local or reserved address (${blocked})`;
  }
  return undefined;
}
