import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The payload-2.0 event API Gateway's HTTP API sends to a Lambda proxy integration, built from the
 * parts of a request. Used by the local API emulation for every request and by `npm run sam-local`
 * for the sample events of `sam local invoke`, so both carry what AWS sends.
 */

export interface RequestParts {
  readonly method: string;
  readonly url: URL;
  /** Raw header names and values; repeated headers as arrays. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  /** `${method} ${path}` of the matched route, or `$default`. */
  readonly routeKey: string;
  readonly pathParameters?: Readonly<Record<string, string>> | undefined;
  readonly sourceIp: string;
  /** e.g. `HTTP/1.1` */
  readonly protocol: string;
  readonly now: Date;
  readonly requestId?: string;
  readonly clientCert?: NonNullable<APIGatewayProxyEventV2['requestContext']['authentication']>['clientCert'];
}

/**
 * Bodies API Gateway passes as text. Everything else, form bodies (`application/x-www-form-urlencoded`)
 * included, arrives base64-encoded with `isBase64Encoded: true`, as HTTP APIs do.
 */
const TEXT_TYPES = /^(text\/|application\/(json|[a-z.+-]*\+json|xml|[a-z.+-]*\+xml|graphql|javascript))/i;

export function apiGatewayEvent(parts: RequestParts): APIGatewayProxyEventV2 {
  // API Gateway lower-cases header names and joins repeated headers with commas; cookies move out.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [rawName, value] of Object.entries(parts.headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookies = (typeof value === 'string' ? value : value.join('; ')).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = typeof value === 'string' ? value : value.join(',');
  }
  const query: Record<string, string> = {};
  for (const [name, value] of parts.url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;

  const { body } = parts;
  // A body of a text type whose bytes are not UTF-8 cannot travel as a JSON string without
  // losing them: it goes base64-encoded, as any other binary body.
  const isText = body.length === 0 || (TEXT_TYPES.test(headers['content-type'] ?? '') && isUtf8(body));
  // The API's domain name, without the port a local Host header carries.
  const host = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const path = parts.url.pathname;

  return {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: path,
    rawQueryString: parts.url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(parts.pathParameters && Object.keys(parts.pathParameters).length > 0 ? { pathParameters: { ...parts.pathParameters } } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      http: { method: parts.method, path, protocol: parts.protocol, sourceIp: parts.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: parts.requestId ?? randomUUID(),
      routeKey: parts.routeKey,
      stage: '$default',
      time: requestTime(parts.now),
      timeEpoch: parts.now.getTime(),
      ...(parts.clientCert ? { authentication: { clientCert: parts.clientCert } } : {}),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it (the CLF format, always UTC): `12/Mar/2020:19:03:58 +0000`. */
export function requestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}
