import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EnrichmentFailed, LatchkeyError } from '../../src/domain/errors';

/**
 * The metrics the stack's alarms watch, as the functions emit them: CloudWatch embedded metric
 * format lines on stdout, each with the operation as a dimension.
 */
type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number }>;
let httpHandler: typeof import('../../src/http/handler').httpHandler;
const lines: string[] = [];

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('LATCHKEY_OPERATION', 'token');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  ({ httpHandler } = await import('../../src/http/handler'));
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const context = {
  functionName: 'latchkey-token',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
  memoryLimitInMB: '512',
  functionVersion: '1',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;
const event = { routeKey: 'POST /oauth/v2/token', requestContext: { requestId: 'api-1' }, headers: {} };

/** The embedded-metric documents written while `run` ran. */
async function emitted(error: unknown, options: { metrics?: string } = {}): Promise<{ status: number; metrics: { name: string; dimensions: Record<string, string> }[] }> {
  lines.length = 0;
  const handler = httpHandler({ errors: 'oauth', ...options }, async () => {
    if (error) throw error;
    return { statusCode: 200 };
  }) as unknown as Handler;
  const { statusCode } = await handler(event, context);
  const documents = lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
  return {
    status: statusCode,
    metrics: documents.flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((set: { Metrics: { Name: string }[]; Dimensions: string[][] }) =>
        set.Metrics.map((metric) => ({ name: metric.Name, dimensions: Object.fromEntries(set.Dimensions[0]!.map((d) => [d, doc[d]])) })),
      ),
    ),
  };
}

describe('alarm metrics emitted by the functions', () => {
  it('counts a client authentication refused with 429, with the operation as a dimension', async () => {
    const { status, metrics } = await emitted(new LatchkeyError(429, 'slow_down', 'too many failed attempts'));
    expect(status).toBe(429);
    expect(metrics).toEqual([{ name: 'ClientAuthenticationThrottled', dimensions: { service: 'latchkey', operation: 'token' } }]);
  });

  it('counts an enrichment webhook failure that refused a token', async () => {
    const { status, metrics } = await emitted(new EnrichmentFailed('app_1', 'it answered HTTP 500'));
    expect(status).toBe(502);
    expect(metrics).toEqual([{ name: 'WebhookFailures', dimensions: { service: 'latchkey', operation: 'token' } }]);
  });

  it('counts a KMS failure found anywhere in the cause chain, not another service’s throttling', async () => {
    const kms = Object.assign(new Error('arn:aws:kms:... is pending deletion'), { name: 'KMSInvalidStateException' });
    const wrapped = new LatchkeyError(503, 'temporarily_unavailable', 'try again later', { cause: kms });
    expect((await emitted(wrapped)).metrics).toEqual([{ name: 'KmsFailures', dimensions: { service: 'latchkey', operation: 'token' } }]);
    const dynamo = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' });
    expect((await emitted(new LatchkeyError(503, 'temporarily_unavailable', 'try again later', { cause: dynamo }))).metrics).toEqual([]);
  });

  it('emits none of them for an answered request or another refusal, and keeps the operation on the handler’s own metrics', async () => {
    expect((await emitted(undefined)).metrics).toEqual([]);
    const refused = await emitted(new LatchkeyError(401, 'invalid_client', 'client authentication failed'), { metrics: 'TokenRequests' });
    expect(refused.status).toBe(401);
    const dimensions = { service: 'latchkey', operation: 'token' };
    expect(refused.metrics).toEqual([
      { name: 'TokenRequests', dimensions },
      { name: 'TokenRequestsRefused', dimensions },
    ]);
  });

  it('counts every request of an operation with metrics, so no invocation flushes an empty set (which Powertools warns about in the log)', async () => {
    const warn = vi.spyOn(console, 'warn');
    const answered = await emitted(undefined, { metrics: 'TokenRequests' });
    expect(answered.status).toBe(200);
    expect(answered.metrics).toEqual([{ name: 'TokenRequests', dimensions: { service: 'latchkey', operation: 'token' } }]);
    expect(warn.mock.calls.flat().join(' ')).not.toContain('No application metrics');
  });
});
