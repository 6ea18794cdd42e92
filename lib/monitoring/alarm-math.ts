import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** CloudWatch evaluates at most 10 metrics in one alarm's math expression. */
export const METRICS_PER_ALARM = 10;

export const FIVE_MINUTES = Duration.minutes(5);

export interface SumAlarmProps {
  readonly id: string;
  readonly description: string;
  readonly metrics: readonly IMetric[];
  /** Alarm when the sum over five minutes reaches this. */
  readonly threshold: number;
  readonly topicArn: string;
}

/**
 * Alarms on the sum of several metrics (e.g. the errors of every function of an area), one alarm
 * per ten metrics. Missing data counts as zero: a function that was not called has no data points.
 */
export function sumAlarms(scope: Construct, props: SumAlarmProps): Alarm[] {
  const alarms: Alarm[] = [];
  for (let start = 0; start < props.metrics.length; start += METRICS_PER_ALARM) {
    const chunk = props.metrics.slice(start, start + METRICS_PER_ALARM);
    const usingMetrics = Object.fromEntries(chunk.map((metric, index) => [`m${index}`, metric]));
    const part = props.metrics.length > METRICS_PER_ALARM ? `${start / METRICS_PER_ALARM + 1}` : '';
    const alarm = new Alarm(scope, `${props.id}${part}`, {
      alarmDescription: props.description,
      metric: new MathExpression({
        expression: `SUM([${Object.keys(usingMetrics)
          .map((id) => `FILL(${id}, 0)`)
          .join(', ')}])`,
        usingMetrics,
        period: FIVE_MINUTES,
        label: props.id,
      }),
      threshold: props.threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    notify(alarm, props.topicArn);
    alarms.push(alarm);
  }
  return alarms;
}

/** Sends the alarm's state changes (in alarm and back to OK) to the alarm topic. */
export function notify(alarm: Alarm, topicArn: string): void {
  const topic = Topic.fromTopicArn(alarm, 'Topic', topicArn);
  alarm.addAlarmAction(new SnsAction(topic));
  alarm.addOkAction(new SnsAction(topic));
}
