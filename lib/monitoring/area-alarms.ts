import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { LatchkeyFunction } from '../constructs/latchkey-function';
import type { Operation } from '../routes';
import { FIVE_MINUTES, sumAlarms } from './alarm-math';

/** Namespace and names of the metrics Latchkey's functions emit (see src/http/observability.ts). */
export const LATCHKEY_NAMESPACE = 'Latchkey';
export const CUSTOM_METRICS = {
  /** An enrichment webhook failed (a token refused under policy `fail`, or issued without claims under `omit`). */
  webhookFailures: 'WebhookFailures',
  /** A client authentication was refused with 429 because of repeated failures. */
  clientAuthenticationThrottled: 'ClientAuthenticationThrottled',
  /** A call to KMS failed (throttled, key disabled or unavailable, KMS internal error). */
  kmsFailures: 'KmsFailures',
  /** A canary run failed (1) or passed (0); published on every run. */
  canaryFailures: 'CanaryFailures',
  /** Milliseconds of a canary run. */
  canaryLatency: 'CanaryLatency',
} as const;

/** Thresholds (context, see `alarmSettingsFromContext`) and where alarms notify. */
export interface AlarmSettings {
  readonly topicArn: string;
  /** Lambda errors per five minutes, summed over an area. */
  readonly lambdaErrors: number;
  /** Lambda throttles per five minutes, summed over an area. */
  readonly lambdaThrottles: number;
  readonly kmsFailures: number;
  readonly webhookFailures: number;
  readonly clientAuthenticationThrottled: number;
}

/** Operations that may call KMS on a request: token signers, the key rotation, and the SAML client key makers and users. */
export const usesKms = (operation: Operation): boolean => operation.access.keys === 'sign' || operation.access.keys === 'rotate' || operation.access.samlKey !== undefined;
/** Operations that may call enrichment webhooks. */
export const callsWebhooks = (operation: Operation): boolean => Boolean(operation.access.invoke?.includes('enrichment-webhooks'));
/** Operations that authenticate OAuth clients with secrets (token, introspection, revocation, GraphQL, ...). */
export const authenticatesClients = (operation: Operation): boolean =>
  Boolean(operation.access.secrets?.includes('pepper')) && operation.routes.length > 0 && operation.routes.every((route) => !route.path.startsWith('/v1/'));

export interface AreaAlarmsProps {
  readonly area: string;
  readonly operations: readonly Operation[];
  readonly functions: ReadonlyMap<string, LatchkeyFunction>;
  readonly settings: AlarmSettings;
}

/**
 * The alarms of one area of the API: Lambda errors and throttles of its functions, and the custom
 * metrics of the operations that can emit them. Each runbook entry in docs/operations.md is named
 * after the alarm id (`LambdaErrors`, `KmsFailures`, ...).
 */
export class AreaAlarms extends Construct {
  constructor(scope: Construct, id: string, props: AreaAlarmsProps) {
    super(scope, id);
    const { settings, area } = props;
    const fns = props.operations.map((operation) => props.functions.get(operation.name)!);
    const custom = (name: string, which: (operation: Operation) => boolean) =>
      props.operations.filter(which).map(
        (operation) =>
          new Metric({
            namespace: LATCHKEY_NAMESPACE,
            metricName: name,
            dimensionsMap: { service: 'latchkey', operation: operation.name },
            statistic: 'Sum',
            period: FIVE_MINUTES,
          }),
      );
    const alarm = (alarmId: string, what: string, metrics: Metric[], threshold: number) => {
      if (metrics.length > 0) {
        sumAlarms(this, {
          id: alarmId,
          description: `Latchkey ${area}: ${what} (runbook: docs/operations.md#${alarmId.toLowerCase()})`,
          metrics,
          threshold,
          topicArn: settings.topicArn,
        });
      }
    };
    alarm(
      'LambdaErrors',
      'function errors (unhandled failures, timeouts)',
      fns.map((fn) => fn.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' })),
      settings.lambdaErrors,
    );
    alarm(
      'LambdaThrottles',
      'function invocations throttled by Lambda concurrency',
      fns.map((fn) => fn.fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' })),
      settings.lambdaThrottles,
    );
    alarm('KmsFailures', 'KMS calls that failed', custom(CUSTOM_METRICS.kmsFailures, usesKms), settings.kmsFailures);
    alarm('WebhookFailures', 'enrichment webhooks that failed', custom(CUSTOM_METRICS.webhookFailures, callsWebhooks), settings.webhookFailures);
    alarm(
      'ClientAuthenticationThrottled',
      'client authentications refused after repeated failures',
      custom(CUSTOM_METRICS.clientAuthenticationThrottled, authenticatesClients),
      settings.clientAuthenticationThrottled,
    );
  }
}
