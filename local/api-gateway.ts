import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { findOperation, throttleOf, type Operation, type RouteThrottle } from '../lib/routes';
import { matchRoute } from '../src/http/route-matching';
import { readBody } from './read-body';
import { toPem } from '../src/adapters/x509-certificate';
import { apiGatewayEvent, type RequestParts } from './api-gateway-event';
import { TokenBucket } from './route-throttle';

/**
 * A local emulation of an API Gateway HTTP API with Lambda proxy integrations (payload format 2.0).
 *
 * Each request becomes the same event API Gateway would send, goes to the handler module the route
 * table names, and the handler's answer is written back as API Gateway would (including its
 * inference of a 200 JSON answer from a bare value). Requests no route matches go to the operation
 * of the `$default` route, as they do in AWS. Handlers are imported on first use and kept, like a
 * warm Lambda container.
 *
 * API Gateway's own answers are emulated too: 413 over the 10 MB payload limit, 429 when a route's
 * throttle (from the route table) is exhausted, and 503 when the function takes longer than the
 * 30 s integration timeout; in each case with the bodies an HTTP API sends.
 */

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** API Gateway's own limit on a request payload. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** An HTTP API's hard limit on waiting for a Lambda integration. */
export const INTEGRATION_TIMEOUT_MS = 30_000;

export interface ApiGatewayOptions {
  readonly operations: readonly Operation[];
  readonly rootDir: string;
  /** Called once per request with what a developer wants to see; never with bodies or headers. */
  readonly onRequest?: (line: { method: string; path: string; operation: string; status: number; ms: number }) => void;
  /** @default INTEGRATION_TIMEOUT_MS; tests use a short one. */
  readonly integrationTimeoutMs?: number;
  /** Per-route throttle; undefined turns it off for that operation. @default `throttleOf` of the route table */
  readonly throttleOf?: (operation: Operation) => RouteThrottle | undefined;
  /** Clock of the throttles, in milliseconds; tests step it instead of waiting. @default Date.now */
  readonly now?: () => number;
  /** Static files served beside the API on the same origin (the console); answers false for paths it does not serve. */
  readonly staticFiles?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
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
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const limitOf = options.throttleOf ?? throttleOf;
  const buckets = new Map<string, TokenBucket | undefined>();
  // API Gateway keeps one bucket per route key, whichever operation serves it.
  const admit = (routeKey: string, operation: Operation): boolean => {
    if (!buckets.has(routeKey)) {
      const limit = limitOf(operation);
      buckets.set(routeKey, limit && new TokenBucket(limit, options.now));
    }
    return buckets.get(routeKey)?.take() ?? true;
  };

  return (request, response) => {
    const started = Date.now();
    void (async () => {
      const body = await readBody(request, MAX_PAYLOAD_BYTES);
      if (body === undefined) {
        writeJson(response, 413, { message: 'Request Entity Too Large' });
        return;
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (await options.staticFiles?.(request, response, url)) return;
      const method = (request.method ?? 'GET').toUpperCase();
      const match = matchRoute(options.operations, url.pathname).find((candidate) => candidate.route.method === method);
      const operation = match?.operation ?? fallback;
      const routeKey = match ? `${match.route.method} ${match.route.path}` : '$default';
      let status: number;
      if (!admit(routeKey, operation)) {
        status = writeJson(response, 429, { message: 'Too Many Requests' });
      } else {
        const event = apiGatewayEvent(requestParts(request, url, method, body, routeKey, match?.pathParameters));
        status = await invoke(load, operation, event, integrationTimeoutMs, response);
      }
      options.onRequest?.({ method, path: url.pathname, operation: operation.name, status, ms: Date.now() - started });
    })().catch((error: unknown) => {
      console.error('local API emulation failed', error);
      if (!response.headersSent) writeJson(response, 500, { message: 'Internal Server Error' });
    });
  };
}

/** Runs the handler as API Gateway's integration would, and writes its answer; returns the status. */
async function invoke(
  load: (operation: Operation) => Promise<Handler>,
  operation: Operation,
  event: APIGatewayProxyEventV2,
  timeoutMs: number,
  response: ServerResponse,
): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
  });
  try {
    // A cold start counts against the timeout in AWS too.
    const answer = load(operation).then((handler) => handler(event, lambdaContext(operation, event.requestContext.requestId, timeoutMs)));
    answer.catch(() => undefined); // a failure after the timeout has nobody left to answer
    const result = await Promise.race([answer, timedOut]);
    // The function may still be running, as a Lambda would after API Gateway gave up on it.
    if (result === 'timeout') return writeJson(response, 503, { message: 'Service Unavailable' });
    return writeResult(response, result);
  } catch (error) {
    // A handler that throws is a bug (the middy stack maps every expected error); API Gateway
    // answers such an invocation failure with a bare 500.
    console.error(`[${operation.name}] handler threw`, error);
    return writeJson(response, 500, { message: 'Internal Server Error' });
  } finally {
    clearTimeout(timer);
  }
}

function requestParts(request: IncomingMessage, url: URL, method: string, body: Buffer, routeKey: string, pathParameters: Record<string, string> | undefined): RequestParts {
  const socket = request.socket as TLSSocket;
  const clientCert = socket.encrypted ? socket.getPeerCertificate?.(false) : undefined;
  return {
    method,
    url,
    headers: request.headers,
    body,
    routeKey,
    pathParameters,
    sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    protocol: `HTTP/${request.httpVersion}`,
    now: new Date(),
    ...(clientCert?.raw
      ? {
          clientCert: {
            clientCertPem: toPem(clientCert.raw),
            subjectDN: clientCert.subject ? JSON.stringify(clientCert.subject) : '',
            issuerDN: clientCert.issuer ? JSON.stringify(clientCert.issuer) : '',
            serialNumber: clientCert.serialNumber,
            validity: { notBefore: clientCert.valid_from, notAfter: clientCert.valid_to },
          },
        }
      : {}),
  };
}

function lambdaContext(operation: Operation, requestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + Math.min(10_000, timeoutMs);
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

function writeJson(response: ServerResponse, status: number, body: unknown): number {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return status;
}
