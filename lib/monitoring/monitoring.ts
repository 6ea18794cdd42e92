import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, TextWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { keyPolicy } from '../constructs/key-policies';
import type { SigningMode } from '../state';
import { FIVE_MINUTES, notify } from './alarm-math';
import { CUSTOM_METRICS, LATCHKEY_NAMESPACE } from './area-alarms';

/** Thresholds of the stack-wide alarms (context, with defaults in latchkey-stack.ts). */
export interface MonitoringSettings {
  /** Percentage of API answers that are 5xx, over five minutes. */
  readonly api5xxPercent: number;
  /** Percentage of API answers that are 4xx, over five minutes (with at least `RATE_MINIMUM_REQUESTS`). */
  readonly api4xxPercent: number;
  /** Percentage of API answers that are 429 (throttled by API Gateway or by Latchkey), over five minutes. */
  readonly api429Percent: number;
  /** p99 latency of the token route, in milliseconds, over five minutes. */
  readonly tokenLatencyP99Ms: number;
  /** DynamoDB read and write throttle events on the table, over five minutes. */
  readonly dynamoDbThrottles: number;
  /** KMS signing-path requests per second in the account and region (the quota is shared). */
  readonly kmsRequestsPerSecond: number;
  /** X-Ray sampling: fraction of requests traced, 0 to 1 (0 turns tracing off). */
  readonly tracingSampleRate: number;
}

export interface MonitoringProps {
  readonly stage: string;
  readonly retain: boolean;
  readonly signingMode: SigningMode;
  readonly settings: MonitoringSettings;
  readonly httpApiId: string;
  /** The stage's access logs (JSON lines with `status` and `apiId`): the 429 count is read from them. */
  readonly accessLogs: ILogGroup;
  /** The route key whose latency is alarmed (API Gateway publishes per-route metrics for it). */
  readonly tokenRouteKey: string;
  readonly tableName: string;
  readonly topicArn: string;
}

/** The 4xx and 429 rates alarm only over this many requests in five minutes: a few refusals in a quiet hour are noise. */
export const RATE_MINIMUM_REQUESTS = 20;

/** API Gateway counts 4xx but not 429 alone: a metric filter on the access logs does, per API. */
export const THROTTLED_RESPONSES_METRIC = 'ApiThrottledResponses';

/**
 * The encrypted SNS topic every alarm notifies, with an email subscription when `alarmEmail` is set.
 * CloudWatch publishes to it, so the topic key lets CloudWatch (and nobody else but the account's
 * administrators) use it.
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { readonly stage: string; readonly retain: boolean; readonly alarmEmail?: string }) {
    super(scope, id);
    const topicKey = new Key(this, 'TopicKey', {
      alias: `alias/latchkey-${props.stage}-alarms`,
      description: `Latchkey ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      policy: keyPolicy(this, props.stage, []),
    });
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: `Latchkey ${props.stage} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
  }
}

/**
 * The stack-wide alarms, the dashboard and the X-Ray sampling rule. Per-function alarms live in
 * each area's nested stack (`AreaAlarms`); all of them notify the alarm topic.
 */
export class Monitoring extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { settings, stage } = props;
    const stackName = Stack.of(this).stackName;

    const api = (metricName: string, statistic: string, dimensionsMap: Record<string, string> = { ApiId: props.httpApiId }) =>
      new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: FIVE_MINUTES });
    const stackAlarm = (alarmId: string, description: string, metric: Metric | MathExpression, threshold: number, evaluationPeriods = 1) => {
      const alarm = new Alarm(this, alarmId, {
        alarmDescription: `Latchkey ${stage}: ${description} (runbook: docs/operations.md#${alarmId.toLowerCase()})`,
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      notify(alarm, props.topicArn);
      return alarm;
    };

    const errorRate = new MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: api('5xx', 'Sum'), requests: api('Count', 'SampleCount') },
      period: FIVE_MINUTES,
      label: 'API 5xx %',
    });
    stackAlarm('Api5xxRate', `more than ${settings.api5xxPercent}% of API answers are 5xx`, errorRate, settings.api5xxPercent, 2);

    /** The percentage of API answers that `answers` counts, once there are RATE_MINIMUM_REQUESTS of them in five minutes. */
    const answerRate = (name: string, answers: Metric, label: string) =>
      new MathExpression({
        expression: `IF(requests >= ${RATE_MINIMUM_REQUESTS}, 100 * FILL(${name}, 0) / requests, 0)`,
        usingMetrics: { [name]: answers, requests: api('Count', 'SampleCount') },
        period: FIVE_MINUTES,
        label,
      });
    const clientErrorRate = answerRate('clientErrors', api('4xx', 'Sum'), 'API 4xx %');
    stackAlarm('Api4xxRate', `more than ${settings.api4xxPercent}% of API answers are 4xx`, clientErrorRate, settings.api4xxPercent, 2);

    props.accessLogs.addMetricFilter('ThrottledResponses', {
      filterPattern: FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: LATCHKEY_NAMESPACE,
      metricName: THROTTLED_RESPONSES_METRIC,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId' },
    });
    const throttled = new Metric({
      namespace: LATCHKEY_NAMESPACE,
      metricName: THROTTLED_RESPONSES_METRIC,
      dimensionsMap: { ApiId: props.httpApiId },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    const throttledRate = answerRate('throttled', throttled, 'API 429 %');
    stackAlarm('Api429Rate', `more than ${settings.api429Percent}% of API answers are 429 (throttled)`, throttledRate, settings.api429Percent, 2);

    const tokenLatency = api('Latency', 'p99', { ApiId: props.httpApiId, Stage: '$default', Route: props.tokenRouteKey });
    stackAlarm('TokenLatencyP99', `p99 latency of ${props.tokenRouteKey} above ${settings.tokenLatencyP99Ms} ms`, tokenLatency, settings.tokenLatencyP99Ms, 2);

    const table = (metricName: string) =>
      new Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap: { TableName: props.tableName }, statistic: 'Sum', period: FIVE_MINUTES });
    const throttles = new MathExpression({
      expression: 'FILL(reads, 0) + FILL(writes, 0)',
      usingMetrics: { reads: table('ReadThrottleEvents'), writes: table('WriteThrottleEvents') },
      period: FIVE_MINUTES,
      label: 'DynamoDB throttle events',
    });
    stackAlarm('DynamoDbThrottles', 'DynamoDB throttled requests on the table', throttles, settings.dynamoDbThrottles);

    // KMS publishes no throttle metric, but its request rate against the account quota: the signing
    // path's operation, per second (the quota is shared by everything in the account and region).
    const kmsOperation = props.signingMode === 'kms' ? 'Sign' : 'Decrypt';
    const kmsCalls = new Metric({
      namespace: 'AWS/Usage',
      metricName: 'CallCount',
      dimensionsMap: { Service: 'KMS', Type: 'API', Resource: kmsOperation, Class: 'None' },
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
    const kmsRate = new MathExpression({ expression: 'calls / 60', usingMetrics: { calls: kmsCalls }, period: Duration.minutes(1), label: `KMS ${kmsOperation} per second` });
    stackAlarm('KmsRequestRate', `KMS ${kmsOperation} requests above ${settings.kmsRequestsPerSecond}/s (account quota nearly used)`, kmsRate, settings.kmsRequestsPerSecond, 3);

    // The dashboard finds the functions by name (they all start with the stack's name), so it needs
    // no reference into the nested stacks.
    const search = (query: string, statistic: string, label: string) =>
      new MathExpression({ expression: `SEARCH('${query}', '${statistic}', 300)`, usingMetrics: {}, label, period: FIVE_MINUTES });
    // Unquoted: a partial (token) match on the name, whose first tokens are the stack's name.
    const lambdaSearch = (metricName: string, statistic: string) => search(`{AWS/Lambda,FunctionName} MetricName="${metricName}" FunctionName=${stackName}`, statistic, metricName);
    const customSearch = (metricName: string) => search(`{${LATCHKEY_NAMESPACE},operation,service} MetricName="${metricName}"`, 'Sum', metricName);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Latchkey-${stage}`,
      widgets: [
        [new TextWidget({ markdown: `# Latchkey ${stage}\nRunbooks: docs/operations.md. Every alarm notifies the topic "Latchkey ${stage} alarms".`, width: 24, height: 2 })],
        [
          new GraphWidget({ title: 'API requests and errors', left: [api('Count', 'SampleCount'), api('4xx', 'Sum'), api('5xx', 'Sum')], width: 8 }),
          new GraphWidget({ title: 'API 5xx, 4xx and 429 %', left: [errorRate, clientErrorRate, throttledRate], width: 8 }),
          new GraphWidget({ title: `${props.tokenRouteKey} latency`, left: [tokenLatency, api('Latency', 'p50', tokenLatency.dimensions as Record<string, string>)], width: 8 }),
        ],
        [
          new GraphWidget({ title: 'Lambda errors by function', left: [lambdaSearch('Errors', 'Sum')], width: 8 }),
          new GraphWidget({ title: 'Lambda throttles by function', left: [lambdaSearch('Throttles', 'Sum')], width: 8 }),
          new GraphWidget({ title: 'Lambda p99 duration by function', left: [lambdaSearch('Duration', 'p99')], width: 8 }),
        ],
        [
          new GraphWidget({ title: 'Tokens issued', left: [customSearch('TokensIssued')], width: 6 }),
          new GraphWidget({ title: 'KMS', left: [kmsRate, customSearch(CUSTOM_METRICS.kmsFailures)], width: 6 }),
          new GraphWidget({ title: 'DynamoDB throttles', left: [throttles], width: 6 }),
          new GraphWidget({
            title: 'Webhook failures, throttled client authentications',
            left: [customSearch(CUSTOM_METRICS.webhookFailures), customSearch(CUSTOM_METRICS.clientAuthenticationThrottled)],
            width: 6,
          }),
        ],
        [
          new GraphWidget({
            title: 'API 4xx and 429 answers',
            left: [api('4xx', 'Sum'), throttled],
            width: 12,
          }),
          // Empty unless canary=true.
          new GraphWidget({
            title: 'Canary failures and latency (ms)',
            left: [customSearch(CUSTOM_METRICS.canaryFailures)],
            right: [search(`{${LATCHKEY_NAMESPACE},operation,service} MetricName="${CUSTOM_METRICS.canaryLatency}"`, 'Average', CUSTOM_METRICS.canaryLatency)],
            width: 12,
          }),
        ],
      ],
    });

    // Lambda takes the sampling decision for requests without a trace header from the account's
    // rules; this one applies to this stage's functions only (their names start with the stack's).
    if (settings.tracingSampleRate > 0) {
      new CfnSamplingRule(this, 'SamplingRule', {
        samplingRule: {
          ruleName: `latchkey-${stage}`.slice(0, 32),
          priority: 100,
          fixedRate: settings.tracingSampleRate,
          reservoirSize: 1,
          serviceName: `${stackName}-*`,
          serviceType: '*',
          host: '*',
          httpMethod: '*',
          urlPath: '*',
          resourceArn: '*',
          version: 1,
        },
      });
    }
  }
}
