import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { findOperation, type Operation } from '../lib/routes';
import { matchRoute } from '../src/http/route-matching';
import { readBody } from './read-body';
import { toPem } from '../src/adapters/x509-certificate';

/**
 * A local emulation of an API Gateway HTTP API with Lambda proxy integrations (payload format 2.0).
 *
 * Each request becomes the same event API Gateway would send, goes to the handler module the route
 * table names, and the handler's answer is written back as API Gateway would (including its
 * inference of a 200 JSON answer from a bare value). Requests no route matches go to the operation
 * of the `$default` route, as they do in AWS. Handlers are imported on first use and kept, like a
 * warm Lambda container.
 */

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** API Gateway's own limit on a request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface ApiGatewayOptions {
  readonly operations: readonly Operation[];
  readonly rootDir: string;
  /** Called once per request with what a developer wants to see; never with bodies or headers. */
  readonly onRequest?: (line: { method: string; path: string; operation: string; status: number; ms: number }) => void;
}

export function apiGatewayListener(options: ApiGatewayOptions): RequestListener {
  const handlers = new Map<string, Promise<Handler>>();
  const load = (operation: Operation): Promise<Handler> => {
    let handler = handlers.get(operation.name);
    if (!handler) {
      const url = pathToFileURL(resolve(options.rootDir, operation.handler)).href;
      handler = import(url).then((module: { handler?: Handler }) => {
        if (typeof module.handler !== 'function') throw new TypeError(`${operation.handler} does not export handler`);
        return module.handler;
      });
      handlers.set(operation.name, handler);
    }
    return handler;
  };
  const fallback = findOperation('route-fallback');

  return (request, response) => {
    const started = Date.now();
    void (async () => {
      const body = await readBody(request, MAX_PAYLOAD_BYTES);
      if (body === undefined) {
        writeJson(response, 413, { message: 'Request Entity Too Large' });
        return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = (request.method ?? 'GET').toUpperCase();
      const match = matchRoute(options.operations, url.pathname).find((candidate) => candidate.route.method === method);
      const operation = match?.operation ?? fallback;
      const routeKey = match ? `${match.route.method} ${match.route.path}` : '$default';
      const event = toEvent(request, url, method, body, routeKey, match?.pathParameters);
      let status = 500;
      try {
        const handler = await load(operation);
        const result = await handler(event, lambdaContext(operation, event.requestContext.requestId));
        status = writeResult(response, result);
      } catch (error) {
        // A handler that throws is a bug (the middy stack maps every expected error); API Gateway
        // answers such an invocation failure with a bare 500.
        console.error(`[${operation.name}] handler threw`, error);
        writeJson(response, 500, { message: 'Internal Server Error' });
      }
      options.onRequest?.({ method, path: url.pathname, operation: operation.name, status, ms: Date.now() - started });
    })().catch((error: unknown) => {
      console.error('local API emulation failed', error);
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal Server Error' });
    });
  };
}


const TEXT_TYPES = /^(text\/|application\/(json|[a-z.+-]*\+json|x-www-form-urlencoded|xml|[a-z.+-]*\+xml|graphql))/i;

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string> | undefined,
): APIGatewayProxyEventV2 {
  // API Gateway lower-cases header names and joins repeated headers with commas; cookies move out.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;

  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const requestId = randomUUID();
  const socket = request.socket as TLSSocket;
  const clientCert = socket.encrypted ? socket.getPeerCertificate?.(false) : undefined;

  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(clientCert && clientCert.raw
        ? {
            authentication: {
              clientCert: {
                clientCertPem: toPem(clientCert.raw),
                subjectDN: clientCert.subject ? JSON.stringify(clientCert.subject) : '',
                issuerDN: clientCert.issuer ? JSON.stringify(clientCert.issuer) : '',
                serialNumber: clientCert.serialNumber,
                validity: { notBefore: clientCert.valid_from, notAfter: clientCert.valid_to },
              },
            },
          }
        : {}),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  } as APIGatewayProxyEventV2;
}


function lambdaContext(operation: Operation, requestId: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `latchkey-local-${operation.name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:latchkey-local-${operation.name}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/latchkey-local-${operation.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Writes a handler's answer the way API Gateway does, and returns the status code. */
function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2): number {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    // Payload 2.0 inference: a value without statusCode is a 200 JSON body.
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return 200;
  }
  const status = result.statusCode ?? 200;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(status, headers).end(body);
  return status;
}

function writeJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
