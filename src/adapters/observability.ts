import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The one logger of a Latchkey function: structured JSON with the Lambda and API Gateway request IDs.
 *
 * Rule for every caller: never log an event, a header, a body, a token, a secret or a hash of one.
 * Log identifiers (account IDs, client IDs, key IDs) and error codes instead.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey' });

/** The operation this function serves (the route table's name), set by the stack and the local runtime. */
export const operationName = process.env.LATCHKEY_OPERATION ?? 'local';

/**
 * CloudWatch metrics in embedded metric format. Every metric carries the operation as a dimension
 * (besides `service`), so an alarm or a graph can tell the token endpoint from the management API.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Latchkey',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey',
  defaultDimensions: { operation: operationName },
});

/**
 * Metrics the alarms of the stack watch (lib/monitoring/area-alarms.ts names the same ones). Emitted
 * on their own, at once, so they need no `metrics` option on the handler.
 */
export const ALARM_METRICS = {
  webhookFailures: 'WebhookFailures',
  clientAuthenticationThrottled: 'ClientAuthenticationThrottled',
  kmsFailures: 'KmsFailures',
} as const;

/** The canary's metrics (functions/ops/run-canary.ts), alarmed by lib/monitoring/canary-alarms.ts. */
export const CANARY_METRICS = {
  /** 1 for a failed probe, 0 for a passed one: every run publishes it. */
  failures: 'CanaryFailures',
  /** Milliseconds from the JWKS request to the verified token. */
  latency: 'CanaryLatency',
} as const;

export function countAlarmMetric(name: (typeof ALARM_METRICS)[keyof typeof ALARM_METRICS]): void {
  const single = metrics.singleMetric();
  single.addMetric(name, MetricUnit.Count, 1);
}

/**
 * X-Ray tracing through Powertools Tracer, loaded only for a request that X-Ray sampled: the X-Ray
 * SDK takes tens of milliseconds to load, which an unsampled cold start never pays.
 */
const tracingEnabled = process.env.POWERTOOLS_TRACE_ENABLED === 'true' && Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);
let tracer: Promise<Tracer> | undefined;

/** Whether Lambda sampled the current invocation (its trace header says `Sampled=1`). */
export function isSampled(): boolean {
  return tracingEnabled && /(?:^|;)Sampled=1(?:;|$)/.test(process.env._X_AMZN_TRACE_ID ?? '');
}

/** The tracer, loaded on first use; undefined when the invocation is not traced. */
export function sampledTracer(): Promise<Tracer> | undefined {
  if (!isSampled()) return undefined;
  tracer ??= import('@aws-lambda-powertools/tracer').then(({ Tracer: TracerClass }) => new TracerClass({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey' }));
  return tracer;
}

let firstInvocation = true;

/**
 * Whether this is the container's first invocation; call once per invocation. The tracer is loaded
 * lazily, so its own cold-start flag would be true for the first *sampled* invocation instead.
 */
export function isColdStart(): boolean {
  const cold = firstInvocation;
  firstInvocation = false;
  return cold;
}

/**
 * Annotates the current trace with the Latchkey environment a request acts in, once the handler
 * knows it (after authentication). Does nothing when the invocation is not traced.
 */
export function traceEnvironment(environmentId: string): void {
  void sampledTracer()?.then((active) => active.putAnnotation('environment', environmentId));
}
