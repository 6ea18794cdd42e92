import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { FIVE_MINUTES, notify } from './alarm-math';
import { CUSTOM_METRICS, LATCHKEY_NAMESPACE } from './area-alarms';

/** Thresholds of the canary's alarms (context `alarmThresholds`: `canaryFailures`, `canaryLatencyMs`). */
export interface CanarySettings {
  /** Failed probes in five minutes (five runs). */
  readonly failures: number;
  /** Average milliseconds of a probe (JWKS, token, verification) over five minutes. */
  readonly latencyMs: number;
}

export interface CanaryAlarmsProps {
  readonly area: string;
  /** The canary's operation name (the metrics' `operation` dimension). */
  readonly operation: string;
  readonly settings: CanarySettings;
  readonly topicArn: string;
}

/**
 * The canary's two alarms. Every run publishes both metrics, so no data at all means the canary did
 * not run (schedule disabled, function failing before it probes): the failure alarm counts that as
 * failing.
 */
export class CanaryAlarms extends Construct {
  constructor(scope: Construct, id: string, props: CanaryAlarmsProps) {
    super(scope, id);
    const metric = (metricName: string, statistic: string) =>
      new Metric({ namespace: LATCHKEY_NAMESPACE, metricName, dimensionsMap: { service: 'latchkey', operation: props.operation }, statistic, period: FIVE_MINUTES });
    const alarm = (alarmId: string, what: string, m: Metric, threshold: number, evaluationPeriods: number, treatMissingData: TreatMissingData) =>
      notify(
        new Alarm(this, alarmId, {
          alarmDescription: `Latchkey ${props.area}: ${what} (runbook: docs/operations.md#${alarmId.toLowerCase()})`,
          metric: m,
          threshold,
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData,
        }),
        props.topicArn,
      );
    alarm(
      'CanaryFailures',
      `the canary could not fetch the JWKS or get and verify a token (${props.settings.failures} of five runs), or did not run`,
      metric(CUSTOM_METRICS.canaryFailures, 'Sum'),
      props.settings.failures,
      1,
      TreatMissingData.BREACHING,
    );
    alarm(
      'CanaryLatency',
      `the canary's JWKS and token took ${props.settings.latencyMs} ms or more on average`,
      metric(CUSTOM_METRICS.canaryLatency, 'Average'),
      props.settings.latencyMs,
      2,
      TreatMissingData.NOT_BREACHING,
    );
  }
}

/** How often the canary runs. */
export const CANARY_RATE = Duration.minutes(1);
