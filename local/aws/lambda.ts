// Local stand-in for the one Lambda API call Latchkey makes, Invoke (RequestResponse), over the
// real REST wire protocol (`POST /2015-03-31/functions/{name}/invocations`), so the unchanged SDK
// client reaches it through AWS_ENDPOINT_URL_LAMBDA. It serves the route table's operations that
// have no HTTP routes (the enrichment webhook, bootstrap), under the ARNs the local runtime reports.
import { randomUUID } from 'node:crypto';
import type { RequestListener, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { Operation } from '../../lib/routes';
import { LOCAL_ACCOUNT_ID } from './json-protocol';
import { readBody } from '../read-body';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** Lambda's own limit on a synchronous invocation's request and response payloads. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The ARN a local function answers to: the name the local API emulation gives its contexts. */
export function localFunctionArn(operationName: string, region = 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:latchkey-local-${operationName}`;
}

export function lambdaInvokeListener(options: { operations: readonly Operation[]; rootDir: string }): RequestListener {
  const invokable = new Map(options.operations.filter((op) => op.routes.length === 0).map((op) => [`latchkey-local-${op.name}`, op]));
  const handlers = new Map<string, Promise<Handler>>();
  const load = (operation: Operation): Promise<Handler> => {
    let handler = handlers.get(operation.name);
    if (!handler) {
      handler = import(pathToFileURL(resolve(options.rootDir, operation.handler)).href).then((module: { handler: Handler }) => module.handler);
      handlers.set(operation.name, handler);
    }
    return handler;
  };

  return (request, response) => {
    void (async () => {
      const match = INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
      if (request.method !== 'POST' || !match) return error(response, 404, 'UnknownOperationException', 'only Invoke is served here');
      // The name may be a bare name, a full ARN or a partial one; only the function name part matters.
      const name = decodeURIComponent(match[1]!).split(':function:').pop()!.split(':')[0]!;
      const operation = invokable.get(name);
      if (!operation) return error(response, 404, 'ResourceNotFoundException', `Function not found: ${decodeURIComponent(match[1]!)}`);
      if ((request.headers['x-amz-invocation-type'] ?? 'RequestResponse') !== 'RequestResponse') {
        return error(response, 400, 'InvalidParameterValueException', 'the local stand-in only invokes synchronously');
      }
      const body = await readBody(request, MAX_PAYLOAD_BYTES);
      if (body === undefined) return error(response, 413, 'RequestTooLargeException', 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
      let event: unknown;
      try {
        event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        return error(response, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      let result: unknown;
      let functionError = false;
      try {
        result = await (await load(operation))(event, context(operation.name));
      } catch (thrown) {
        // As Lambda does: a 200 carrying the error, flagged by X-Amz-Function-Error.
        functionError = true;
        result = { errorType: thrown instanceof Error ? thrown.name : 'Error', errorMessage: thrown instanceof Error ? thrown.message : String(thrown) };
      }
      response.writeHead(200, {
        'content-type': 'application/json',
        'x-amz-executed-version': '$LATEST',
        'x-amzn-requestid': randomUUID(),
        ...(functionError ? { 'x-amz-function-error': 'Unhandled' } : {}),
      });
      response.end(result === undefined ? 'null' : JSON.stringify(result));
    })().catch((thrown: unknown) => {
      if (!response.headersSent) error(response, 500, 'ServiceException', thrown instanceof Error ? thrown.message : 'local Lambda stand-in failed');
    });
  };
}

function context(name: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `latchkey-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(name),
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/latchkey-local-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function error(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ Type: 'User', message }));
}
