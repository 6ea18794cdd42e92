import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authenticatesClients, callsWebhooks, usesKms } from '../../lib/monitoring/area-alarms';
import { DEFAULT_THROTTLES, operations, throttleOf } from '../../lib/routes';
import { ALARM_METRICS } from '../../src/http/observability';
import { buildStack, ENVELOPE_EVERY_ACCESS, everyResource, KMS_EVERY_ACCESS, KMS_MODE, ofType, operationFunctions, resolved, routeKey, type Built, type Json } from './build-stack';

const dev = buildStack();
/** Every monitoring option an operator can set, in one build. */
const tuned = buildStack({
  alarmEmail: 'oncall@example.com',
  alarmThresholds: '{"api5xxPercent": 5, "lambdaErrors": 50, "tokenLatencyP99Ms": 300}',
  tracingSampleRate: '0',
  logLevel: 'debug',
  throttles: JSON.stringify({ token: { rateLimit: 2000, burstLimit: 4000 }, 'create-service-account': { rateLimit: 5, burstLimit: 10 } }),
});
const alarmsOf = (built: Built) => everyResource(built, 'AWS::CloudWatch::Alarm');
const topicId = (built: Built) => ofType(built.resources, 'AWS::SNS::Topic')[0]![0];
/** The metrics an alarm evaluates (single metric or math). */
function metricsOf(alarm: Json): { namespace: string; name: string; dimensions: Record<string, Json> }[] {
  const stats = alarm.Properties.Metrics ? alarm.Properties.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric) : [alarm.Properties];
  return stats.map((m: Json) => ({
    namespace: m.Namespace,
    name: m.MetricName,
    dimensions: Object.fromEntries((m.Dimensions ?? []).map((d: Json) => [d.Name, d.Value])),
  }));
}

describe('the alarm topic', () => {
  it('is encrypted with its own key, TLS only, and mails the alarmEmail', () => {
    const [[, topic]] = ofType(dev.resources, 'AWS::SNS::Topic') as [[string, Json]];
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlarmTopicTopicKey/), 'Arn'] });
    const policy = ofType(dev.resources, 'AWS::SNS::TopicPolicy')[0]![1];
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('aws:SecureTransport');
    tuned.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    expect(ofType(dev.resources, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('is what every alarm notifies, in and out of alarm', () => {
    const alarms = alarmsOf(dev);
    expect(alarms.length).toBeGreaterThan(0);
    for (const { resource, where } of alarms) {
      expect(resolved(where, resource.Properties.AlarmActions)).toEqual([{ Ref: topicId(dev) }]);
      expect(resolved(where, resource.Properties.OKActions)).toEqual([{ Ref: topicId(dev) }]);
      // Each alarm points at its runbook.
      expect(resource.Properties.AlarmDescription).toMatch(/runbook: docs\/operations\.md#[a-z0-9]+\)$/);
    }
  });
});

describe('runbooks', () => {
  it('has a runbook entry in docs/operations.md for every alarm the stack creates', () => {
    const headings = new Set([...readFileSync('docs/operations.md', 'utf8').matchAll(/^### (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    const anchors = new Set(alarmsOf(dev).map(({ resource }) => /#([a-z0-9]+)\)$/.exec(resource.Properties.AlarmDescription)![1]!));
    expect(anchors.size).toBe(11);
    for (const anchor of anchors) expect(headings, anchor).toContain(anchor);
  });
});

describe('alarms', () => {
  const alarms = alarmsOf(dev);
  const byId = (prefix: string) => alarms.filter(({ id }) => id.includes(prefix));

  it('watches the API 5xx rate and the token route’s p99 latency', () => {
    const [rate] = byId('Api5xxRate');
    expect(
      metricsOf(rate!.resource)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['5xx', 'Count']);
    expect(rate!.resource.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const [latency] = byId('TokenLatencyP99');
    expect(latency!.resource.Properties).toMatchObject({ MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: 1000 });
    expect(metricsOf(latency!.resource)[0]!.dimensions).toMatchObject({ Route: 'POST /oauth/v2/token', Stage: '$default' });
  });

  it('watches the errors and throttles of every function, ten per alarm at most', () => {
    const functions = operationFunctions(dev);
    for (const kind of ['Errors', 'Throttles']) {
      const found = alarms.filter(({ id }) => id.startsWith(`AlarmsLambda${kind}`));
      const names = found.flatMap(({ resource }) => metricsOf(resource).map((m) => m.dimensions.FunctionName?.Ref));
      expect(names.sort()).toEqual([...functions.values()].map((fn) => fn.id).sort());
      for (const { resource } of found) expect(metricsOf(resource).length).toBeLessThanOrEqual(10);
    }
  });

  it('watches DynamoDB throttles on the table and the KMS request rate of the signing path', () => {
    const [dynamo] = byId('DynamoDbThrottles');
    expect(
      metricsOf(dynamo!.resource)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    const [kms] = byId('KmsRequestRate');
    expect(metricsOf(kms!.resource)[0]).toMatchObject({ namespace: 'AWS/Usage', dimensions: { Service: 'KMS', Resource: 'Decrypt' } });
    const kmsMode = alarmsOf(buildStack(KMS_MODE)).find(({ id }) => id.includes('KmsRequestRate'))!;
    expect(metricsOf(kmsMode.resource)[0]!.dimensions.Resource).toBe('Sign');
    expect(kmsMode.resource.Properties.Threshold).toBe(240);
  });

  it('watches the functions’ own metrics, each on the operations that can emit it, with the operation as a dimension', () => {
    for (const [metric, emits] of [
      [ALARM_METRICS.kmsFailures, usesKms],
      [ALARM_METRICS.webhookFailures, callsWebhooks],
      [ALARM_METRICS.clientAuthenticationThrottled, authenticatesClients],
    ] as const) {
      const found = alarms.filter(({ id }) => id.startsWith(`Alarms${metric}`));
      const watched = found
        .flatMap(({ resource }) => metricsOf(resource))
        .map((m) => {
          expect(m).toMatchObject({ namespace: 'Latchkey', name: metric, dimensions: { service: 'latchkey' } });
          return m.dimensions.operation;
        });
      expect(watched.sort(), metric).toEqual(
        operations
          .filter(emits)
          .map((op) => op.name)
          .sort(),
      );
      expect(watched.length, metric).toBeGreaterThan(0);
    }
    expect(operations.filter(authenticatesClients).map((op) => op.name)).toEqual(expect.arrayContaining(['token', 'introspect', 'revoke']));
  });

  it('takes thresholds from the alarmThresholds context', () => {
    const tunedAlarms = alarmsOf(tuned);
    expect(tunedAlarms.find(({ id }) => id.includes('Api5xxRate'))!.resource.Properties.Threshold).toBe(5);
    expect(tunedAlarms.find(({ id }) => id.includes('TokenLatencyP99'))!.resource.Properties.Threshold).toBe(300);
    for (const { resource } of tunedAlarms.filter(({ id }) => id.startsWith('AlarmsLambdaErrors'))) expect(resource.Properties.Threshold).toBe(50);
  });
});

describe('dashboard, tracing, logs', () => {
  it('has a dashboard with the API, Lambda, KMS, DynamoDB and custom metrics', () => {
    const [[, dashboard]] = ofType(dev.resources, 'AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const text of ['AWS/ApiGateway', 'AWS/Lambda', 'AWS/Usage', 'ReadThrottleEvents', 'TokensIssued', ...Object.values(ALARM_METRICS)]) expect(body).toContain(text);
    expect(dashboard.Properties.DashboardName).toBe('Latchkey-dev');
  });

  it('samples traces at the tracingSampleRate for this stage’s functions, and turns tracing off at 0', () => {
    dev.template.hasResourceProperties('AWS::XRay::SamplingRule', { SamplingRule: { FixedRate: 0.05, ServiceName: 'Latchkey-dev-*', RuleName: 'latchkey-dev' } });
    expect(ofType(tuned.resources, 'AWS::XRay::SamplingRule')).toEqual([]);
    for (const fn of operationFunctions(tuned).values()) {
      expect(fn.resource.Properties.TracingConfig).toBeUndefined();
      expect(fn.env.POWERTOOLS_TRACE_ENABLED).toBe('false');
      expect(fn.env.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
    }
  });
});

describe('per-route throttles', () => {
  const settingsOf = (built: Built) => ofType(built.resources, 'AWS::ApiGatewayV2::Stage')[0]![1].Properties.RouteSettings;

  it('come from the route table for every route, with per-route metrics for the token route only', () => {
    const settings = settingsOf(dev);
    const keys = operations.flatMap((op) => op.routes.map(routeKey));
    expect(Object.keys(settings).sort()).toEqual(keys.sort());
    for (const op of operations) {
      for (const route of op.routes) {
        expect(settings[routeKey(route)]).toMatchObject({ ThrottlingRateLimit: throttleOf(op).rateLimit, ThrottlingBurstLimit: throttleOf(op).burstLimit });
      }
    }
    expect(settings['POST /oauth/v2/token']).toMatchObject({ ThrottlingRateLimit: DEFAULT_THROTTLES.token.rateLimit, DetailedMetricsEnabled: true });
    expect(
      Object.entries(settings)
        .filter(([, s]: [string, Json]) => s.DetailedMetricsEnabled)
        .map(([key]) => key),
    ).toEqual(['POST /oauth/v2/token']);
    expect(settings['GET /v1/service-accounts']).toMatchObject({ ThrottlingRateLimit: DEFAULT_THROTTLES.management.rateLimit });
  });

  it('can be overridden by class of route or by operation, and refuse what they do not know', () => {
    const settings = settingsOf(tuned);
    expect(settings['POST /oauth/v2/token']).toMatchObject({ ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 });
    expect(settings['POST /oauth/v2/introspect']).toMatchObject({ ThrottlingRateLimit: 2000 });
    expect(settings['POST /v1/service-accounts']).toMatchObject({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    expect(settings['GET /v1/service-accounts']).toMatchObject({ ThrottlingRateLimit: DEFAULT_THROTTLES.management.rateLimit });
    expect(() => buildStack({ throttles: '{"tokn": {"rateLimit": 1, "burstLimit": 1}}' })).toThrow(/tokn is neither a class of route/);
    expect(() => buildStack({ throttles: '{"token": {"rateLimit": -1, "burstLimit": 1}}' })).toThrow(/needs rateLimit and burstLimit/);
    // generateDelegatedAccessToken is one operation behind two routes: one limit, whichever door.
    expect(() => buildStack({ throttles: '{"generate-delegated-access-token": {"rateLimit": 5, "burstLimit": 10}}' })).toThrow(/need the same throttle/);
    expect(settingsOf(dev)['POST /v1/delegated-access-tokens']).toMatchObject({
      ThrottlingRateLimit: DEFAULT_THROTTLES.token.rateLimit,
      ThrottlingBurstLimit: DEFAULT_THROTTLES.token.burstLimit,
    });
  });

  it('are applied after the routes exist: the stage depends on every area’s nested stack', () => {
    const [[, stage]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Stage') as [[string, Json]];
    const nested = ofType(dev.resources, 'AWS::CloudFormation::Stack').map(([id]) => id);
    expect([...stage.DependsOn].sort()).toEqual(expect.arrayContaining(nested.sort()));
  });
});

describe('the signing-key rotation schedule', () => {
  it('invokes the rotation function every signingKeyRotationDays in envelope mode, never in KMS mode', () => {
    const envelope = buildStack(...ENVELOPE_EVERY_ACCESS);
    const rules = everyResource(envelope, 'AWS::Events::Rule');
    const rotation = operationFunctions(envelope).get('rotate-signing-keys')!;
    expect(rules.map(({ resource }) => [resource.Properties.ScheduleExpression, resource.Properties.Targets[0].Arn])).toEqual([
      ['rate(7 days)', { 'Fn::GetAtt': [rotation.id, 'Arn'] }],
    ]);
    const kms = buildStack(...KMS_EVERY_ACCESS);
    expect(everyResource(kms, 'AWS::Events::Rule')).toEqual([]);
  });
});
