import { createSocket, type Socket } from 'node:dgram';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * X-Ray tracing as Lambda runs it: the invocation's trace header in `_X_AMZN_TRACE_ID`, the X-Ray
 * daemon on UDP (here a socket of the test). A sampled invocation sends a `## <operation>`
 * subsegment annotated with the operation and the stage; an unsampled one sends nothing and never
 * loads the X-Ray SDK.
 */
let daemon: Socket;
const received: Record<string, unknown>[] = [];
let handler: (event: unknown, context: Context) => Promise<{ statusCode: number }>;
let observability: typeof import('../../src/http/observability');

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    const [, body] = message.toString('utf8').split('\n');
    if (body) received.push(JSON.parse(body));
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${daemon.address().port}`);
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'Latchkey-dev-OauthArea-token');
  vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
  vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x');
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'true');
  vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
  vi.stubEnv('LATCHKEY_OPERATION', 'token');
  vi.stubEnv('LATCHKEY_STAGE', 'prod');
  observability = await import('../../src/http/observability');
  const { httpHandler } = await import('../../src/http/handler');
  handler = httpHandler({ errors: 'oauth' }, async () => ({ statusCode: 200 })) as never;
});
afterAll(() => {
  vi.unstubAllEnvs();
  daemon.close();
});

const context = {
  functionName: 'Latchkey-dev-OauthArea-token',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
  memoryLimitInMB: '512',
  functionVersion: '1',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;
const event = { routeKey: 'POST /oauth/v2/token', requestContext: { requestId: 'api-1' }, headers: {} };
const traceHeader = (sampled: 0 | 1) => `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=${sampled}`;

async function until(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !check(); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('tracing', () => {
  it('neither loads the X-Ray SDK nor sends anything for an unsampled invocation', async () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader(0));
    expect((await handler(event, context)).statusCode).toBe(200);
    expect(observability.sampledTracer()).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
  });

  it('sends a subsegment annotated with the operation and the stage for a sampled invocation', async () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader(1));
    expect((await handler(event, context)).statusCode).toBe(200);
    await until(() => received.some((doc) => doc.name === '## token'));
    const subsegment = received.find((doc) => doc.name === '## token')!;
    expect(subsegment).toMatchObject({
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      parent_id: '53995c3f42cd8ad8',
      // The unsampled invocation before was the container's first: this one is warm.
      annotations: { operation: 'token', stage: 'prod', ColdStart: false, Service: 'latchkey' },
    });
    expect(subsegment.end_time).toBeGreaterThanOrEqual(subsegment.start_time as number);
  });
});
