import { request } from 'node:http';

/**
 * HTTP requests from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...), so that tests
 * can play clients at different addresses: the local API sees the socket's address as
 * `requestContext.http.sourceIp`, as API Gateway does.
 */
export interface AddressedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

export function postFrom(localAddress: string, url: string, body: string, headers: Record<string, string>): Promise<AddressedAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: target.port, path: target.pathname, method: 'POST', localAddress, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : undefined });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A client credentials request with HTTP Basic, from `localAddress`, with any further `headers`. */
export function tokenFrom(
  localAddress: string,
  baseUrl: string,
  credentials: { clientId: string; clientSecret: string },
  form: Record<string, string | string[]> = {},
  path = '/oauth/v2/token',
  headers: Record<string, string> = {},
): Promise<AddressedAnswer> {
  const params = new URLSearchParams(path === '/oauth/v2/token' ? { grant_type: 'client_credentials' } : {});
  for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) params.append(name, one);
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64');
  return postFrom(localAddress, `${baseUrl}${path}`, params.toString(), {
    authorization: `Basic ${basic}`,
    'content-type': 'application/x-www-form-urlencoded',
    ...headers,
  });
}
