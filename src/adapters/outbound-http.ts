import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { localTargetsAllowed } from '../config';
import { blockedAddressReason, isIpLiteral, outboundUrlProblem } from '../domain/outbound-policy';

/**
 * The one way Latchkey makes HTTP requests of its own (enrichment webhooks, clients' `jwksUri`),
 * enforcing the outbound policy of src/domain/outbound-policy.ts at call time. Rules:
 * 1. The URL passes `outboundUrlProblem` (https only, no private IP literal) under the stage's setting.
 * 2. The host name is resolved inside the connection's own `lookup`: every address it resolves to
 *    must be global unicast, and the socket connects to the address that was just checked. There is
 *    no second resolution for a rebinding DNS server to answer differently. TLS still verifies the
 *    certificate against the host name (SNI and `Host` are the name, not the address).
 * 3. Redirects are never followed: a 3xx comes back as a status, which callers treat as a failure.
 * 4. The answer body is read up to `maxBytes`, no further; the abort signal ends the request.
 * 5. Failures are `OutboundFailure`s whose message is for the log only: callers answer a generic
 *    reason, so the endpoint cannot be used to scan networks.
 * In the local runtime (`LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS=true`) rules 1-2 allow this machine.
 */

/** An outbound request failed or was refused; `message` is detail for the log, never for a caller. */
export class OutboundFailure extends Error {
  override readonly name = 'OutboundFailure';
}

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** How an `OutboundHttp` resolves and checks; production uses the defaults. */
export interface OutboundOptions {
  /** Defaults to the stage's setting (`LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS`), read on every request. */
  readonly allowLocalTargets?: boolean;
  /** Resolves a host name to all its addresses; defaults to the system resolver. Tests inject one. */
  readonly resolve?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  /** Why an address is refused, or undefined; defaults to `blockedAddressReason`. Tests may allow their own server. */
  readonly blockedAddress?: (address: string) => string | undefined;
  /** Extra trusted CA certificates (PEM), for tests against a local HTTPS server. */
  readonly ca?: string;
}

/** One request: no redirects are followed whatever it says. */
export interface OutboundRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** The most answer bytes to read; a longer answer is a failure. */
  readonly maxBytes: number;
}

/** The answer as received: any status, 3xx included, with the body read up to the limit. */
export interface OutboundAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const systemResolve = (hostname: string): Promise<readonly ResolvedAddress[]> =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) reject(error);
      else resolve(addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 })));
    });
  });

/** Sends requests under the outbound policy (see the rules above). */
export class OutboundHttp {
  constructor(private readonly options: OutboundOptions = {}) {}

  async request(target: string, init: OutboundRequest): Promise<OutboundAnswer> {
    const allowLocalTargets = this.options.allowLocalTargets ?? localTargetsAllowed();
    const problem = outboundUrlProblem(target, { allowLocalTargets });
    if (problem) throw new OutboundFailure(`refused ${redact(target)}: it ${problem}`);
    const url = new URL(target);
    const checkAddress = allowLocalTargets ? () => undefined : (this.options.blockedAddress ?? blockedAddressReason);
    if (isIpLiteral(url.hostname)) {
      // Node connects to an IP literal without calling `lookup`: check it here.
      const blocked = checkAddress(url.hostname);
      if (blocked) throw new OutboundFailure(`refused ${redact(target)}: ${blocked}`);
    }
    const lookup = this.pinnedLookup(checkAddress);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<OutboundAnswer>((resolve, reject) => {
      const fail = (detail: string, cause?: unknown) => reject(new OutboundFailure(`${init.method} ${redact(target)} failed: ${detail}`, { cause }));
      const request = send(
        url,
        {
          method: init.method,
          headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) }) },
          lookup,
          signal: init.signal,
          agent: false,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
        },
        (response) => readAnswer(response, init.maxBytes).then(resolve, (error: Error) => fail(error.message, error)),
      );
      request.on('error', (error: Error & { code?: string }) => {
        if (init.signal?.aborted) reject(init.signal.reason);
        else fail(error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message, error);
      });
      request.end(init.body);
    });
  }

  /** A `lookup` for one connection: resolves, refuses if any address is blocked, answers the checked ones. */
  private pinnedLookup(checkAddress: (address: string) => string | undefined): LookupFunction {
    const resolveName = this.options.resolve ?? systemResolve;
    return (hostname, options, callback) => {
      resolveName(hostname).then(
        (addresses) => {
          const wanted = addresses.filter(({ family }) => !options.family || options.family === family);
          if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
          // Any blocked address refuses the name: picking the "good" one would let a record set mix them.
          const blocked = wanted.map(({ address }) => checkAddress(address)).find(Boolean);
          if (blocked) return callback(Object.assign(new Error(`${hostname} resolves to a refused address: ${blocked}`), { code: 'EADDRBLOCKED' }), '', 4);
          if (options.all)
            return callback(
              null,
              wanted.map(({ address, family }) => ({ address, family })),
            );
          return callback(null, wanted[0]!.address, wanted[0]!.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 4),
      );
    };
  }
}

function readAnswer(response: IncomingMessage, maxBytes: number): Promise<OutboundAnswer> {
  return new Promise((resolve, reject) => {
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      response.destroy();
      return reject(new Error(`the answer declares ${declared} bytes, over ${maxBytes}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        response.destroy();
        reject(new Error(`the answer is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('error', reject);
    response.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
    });
  });
}

/** The URL for a log line: origin and path, without a query that might carry a token. */
function redact(target: string): string {
  try {
    const url = new URL(target);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
