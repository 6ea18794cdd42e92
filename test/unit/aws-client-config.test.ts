import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AWS_REQUEST_TIMEOUT_MS, awsClientConfig, isDependencyOutage, REQUEST_TIMEOUT_OVERRIDE_VARIABLE } from '../../src/adapters/aws-client-config';
import { errorResponse, toLatchkeyError } from '../../src/http/error-mapping';

/**
 * The shared SDK configuration gives up on a dependency that hangs or refuses, and the one error
 * mapping answers such failures (and throttling, and the service's own 5xx) as 503 with
 * `Retry-After`, while an error of the request itself stays a bug-class 500 or its own 4xx.
 * The real DynamoDB client talks to small local servers that misbehave on purpose.
 */
describe('AWS client configuration and outage mapping', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
          }),
      ),
    );
  });

  /** Requests the test servers took, and how many of them the client closed before any answer. */
  const seen = { requests: 0, hungUpOn: 0 };
  const serve = async (answer: (respond: (status: number, type: string) => void) => void): Promise<string> => {
    const server = createServer((request, response) => {
      seen.requests++;
      response.on('close', () => {
        if (!response.writableFinished) seen.hungUpOn++;
      });
      request.resume();
      answer((status, type) => response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ __type: type, message: 'from the test server' })));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  const getItem = async (endpoint: string): Promise<unknown> => {
    const client = new DynamoDBClient({ ...awsClientConfig, endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
      throw new Error('expected the call to fail');
    } catch (error) {
      return error;
    } finally {
      client.destroy();
    }
  };

  const expect503 = (error: unknown) => {
    expect(isDependencyOutage(error)).toBe(true);
    const mapped = toLatchkeyError(error);
    expect(mapped.status).toBe(503);
    for (const style of ['oauth', 'problem', 'graphql'] as const) {
      const response = errorResponse(mapped, style);
      expect(response.statusCode).toBe(503);
      expect(response.headers?.['retry-after']).toBe('5');
      expect(response.body).not.toContain('127.0.0.1');
    }
  };

  // Nothing but the client's request timeout can end this call: it fails, and the server sees every
  // request it held closed by the client.
  it('gives up on a server that accepts the connection and never answers, closing each request it sent', async () => {
    const endpoint = await serve(() => undefined);
    const before = { ...seen };
    const error = await getItem(endpoint);
    expect503(error);
    await vi.waitFor(() => expect(seen.hungUpOn - before.hungUpOn).toBe(seen.requests - before.requests));
    expect(seen.requests - before.requests).toBeGreaterThanOrEqual(1);
  });

  it('gives up on a server that refuses connections', async () => {
    const endpoint = await serve(() => undefined);
    await new Promise((resolve) => {
      servers[0]!.close(resolve);
    });
    servers.length = 0;
    expect503(await getItem(endpoint));
  });

  it.each([
    [400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException'],
    [400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException'],
    [500, 'com.amazonaws.dynamodb.v20120810#InternalServerError'],
    [503, 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable'],
  ])('answers 503 for a %i %s', async (status, type) => {
    const endpoint = await serve((respond) => respond(status, type));
    expect503(await getItem(endpoint));
  });

  it('keeps an error of the request itself a 500 for the log, not an outage', async () => {
    const endpoint = await serve((respond) => respond(400, 'com.amazonaws.dynamodb.v20120810#ValidationException'));
    const error = await getItem(endpoint);
    expect(isDependencyOutage(error)).toBe(false);
    expect(toLatchkeyError(error).status).toBe(500);
    expect(toLatchkeyError(new TypeError('a bug')).status).toBe(500);
  });

  it('lets a test shorten the request timeout of the clients it builds next, never lengthen it', () => {
    const timeoutWith = (value: string | undefined) => {
      if (value === undefined) delete process.env[REQUEST_TIMEOUT_OVERRIDE_VARIABLE];
      else process.env[REQUEST_TIMEOUT_OVERRIDE_VARIABLE] = value;
      return { ...awsClientConfig }.requestHandler.requestTimeout;
    };
    try {
      expect(timeoutWith(undefined)).toBe(AWS_REQUEST_TIMEOUT_MS);
      expect(timeoutWith('500')).toBe(500);
      expect(timeoutWith('60000')).toBe(AWS_REQUEST_TIMEOUT_MS);
      expect(timeoutWith('soon')).toBe(AWS_REQUEST_TIMEOUT_MS);
    } finally {
      timeoutWith(undefined);
    }
  });
});
