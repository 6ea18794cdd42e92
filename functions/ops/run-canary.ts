import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { canaryDeps } from '../../src/composition/dependencies';
import { runCanary, type CanaryResult } from '../../src/canary/probe';
import { CANARY_METRICS, logger, metrics } from '../../src/http/observability';

/**
 * The canary: every minute (context `canary=true`), the JWKS and a token for the canary service
 * account through this deployment's public API, as a client gets them. Not on the HTTP API; run by
 * the stack's schedule, or by hand with `lambda:InvokeFunction`.
 *
 * Rules:
 * - Takes no input: the schedule's event and `{}` are the same request.
 * - Publishes `CanaryFailures` (0 or 1) and `CanaryLatency` on every run, so a canary that stops
 *   running is missing data, which its alarm treats as a failure.
 * - A failed probe is an answer (`ok: false`, the step and its reason), not a function error: the
 *   schedule does not retry it, and the alarm says what failed. Never logs a token or the secret.
 */
async function probe(): Promise<CanaryResult> {
  const result = await runCanary(canaryDeps());
  const single = metrics.singleMetric();
  single.addMetric(CANARY_METRICS.failures, MetricUnit.Count, result.ok ? 0 : 1);
  const latency = metrics.singleMetric();
  latency.addMetric(CANARY_METRICS.latency, MetricUnit.Milliseconds, result.latencyMs);
  if (result.ok) logger.info('canary passed', { latencyMs: result.latencyMs });
  else logger.error('canary failed', { failedStep: result.failedStep, reason: result.reason, latencyMs: result.latencyMs });
  return result;
}

export const handler = middy<unknown, CanaryResult, Error, Context>(probe).use(injectLambdaContext(logger, { resetKeys: true }));
