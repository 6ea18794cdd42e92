import { readFileSync } from 'node:fs';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OriginRequestPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { describe, expect, it } from 'vitest';
import { COUNTED_COMMON_RULES } from '../../lib/edge/api-web-acl';
import { latchkeyPropsFromContext } from '../../lib/latchkey-stack';
import { ORIGIN_HEADER } from '../../lib/edge/origin-header';
import { CUSTOM_METRICS } from '../../lib/monitoring/area-alarms';
import { RATE_MINIMUM_REQUESTS, THROTTLED_RESPONSES_METRIC } from '../../lib/monitoring/monitoring';
import { ENV } from '../../src/config';
import { CANARY_METRICS } from '../../src/http/observability';
import { buildStack, everyResource, functionStatements, ofType, operationFunctions, OPERATOR_CONTROLS, PROD_KMS, resolved, type Built, type Json } from './build-stack';

const dev = buildStack();
const prod = buildStack(PROD_KMS);
const tuned = buildStack(...OPERATOR_CONTROLS);

const logGroups = (built: Built) => everyResource(built, 'AWS::Logs::LogGroup').map(({ resource }) => resource.Properties.RetentionInDays);
const token = (built: Built) => operationFunctions(built).get('token')!;

describe('operator controls from context, at today’s values by default', () => {
  it('keeps every log group 30 days by default, and logRetentionDays days when set', () => {
    expect(new Set(logGroups(dev))).toEqual(new Set([30]));
    expect(new Set(logGroups(tuned))).toEqual(new Set([90]));
    // ...and the origin check's log group of the API behind CloudFront.
    expect(logGroups(tuned).length).toBe(logGroups(dev).length + 1);
    expect(() => buildStack({ logRetentionDays: '31' })).toThrow(/logRetentionDays must be one of CloudWatch Logs' retentions: .*30, 60/);
  });

  it('gives every function 512 MB by default, and functionMemory when set', () => {
    for (const fn of operationFunctions(dev).values()) expect(fn.resource.Properties.MemorySize).toBe(512);
    for (const fn of operationFunctions(tuned).values()) expect(fn.resource.Properties.MemorySize).toBe(1024);
    expect(() => buildStack({ functionMemory: '64' })).toThrow(/functionMemory must be a number from 128 to 10240/);
  });

  it('reserves no concurrency and keeps no instance warm by default; the API invokes the token function itself', () => {
    for (const fn of operationFunctions(dev).values()) expect(fn.resource.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(everyResource(dev, 'AWS::Lambda::Alias')).toEqual([]);
    const fn = token(dev);
    const [[, integration]] = ofType(fn.where.resources, 'AWS::ApiGatewayV2::Integration').filter(([, i]) => i.Properties.IntegrationUri['Fn::GetAtt']?.[0] === fn.id) as [
      [string, Json],
    ];
    expect(integration.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
  });

  it('reserves tokenReservedConcurrency for the token function alone, and routes the token endpoint to a live alias with tokenProvisionedConcurrency', () => {
    const fn = token(tuned);
    expect(fn.resource.Properties.ReservedConcurrentExecutions).toBe(50);
    for (const [name, other] of operationFunctions(tuned)) if (name !== 'token') expect(other.resource.Properties.ReservedConcurrentExecutions, name).toBeUndefined();

    const aliases = everyResource(tuned, 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(1);
    const [{ id: aliasId, resource: alias, where }] = aliases as [{ id: string; resource: Json; where: Json }];
    expect(where).toBe(fn.where);
    expect(alias.Properties).toMatchObject({ Name: 'live', FunctionName: { Ref: fn.id }, ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
    const versionId = alias.Properties.FunctionVersion['Fn::GetAtt'][0];
    expect(where.resources[versionId].Properties.FunctionName).toEqual({ Ref: fn.id });

    // The token route's integration and the permission API Gateway invokes with name the alias, not the bare function.
    const route = Object.values<Json>(where.resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === 'POST /oauth/v2/token');
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
    expect(where.resources[integrationId].Properties.IntegrationUri).toEqual({ Ref: aliasId });
    const permissions = ofType(where.resources, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    expect(permissions.some(([, p]) => p.Properties.FunctionName.Ref === aliasId)).toBe(true);

    expect(() => buildStack({ tokenReservedConcurrency: '2', tokenProvisionedConcurrency: '5' })).toThrow(
      /tokenProvisionedConcurrency \(5\) cannot exceed tokenReservedConcurrency \(2\)/,
    );
    expect(() => buildStack({ tokenReservedConcurrency: '1.5' })).toThrow(/tokenReservedConcurrency must be a whole number/);
    // An empty value (`-c tokenReservedConcurrency=`) is no setting, never a concurrency of 0 that would stop the function.
    const props = (context: Record<string, unknown>) => latchkeyPropsFromContext(new App({ context }).node);
    expect(props({ tokenReservedConcurrency: '', tokenProvisionedConcurrency: '' }).tokenConcurrency).toBeUndefined();
    expect(() => props({ tokenReservedConcurrency: '0' })).toThrow(/tokenReservedConcurrency must be a number from 1/);
  });
});

describe('the 4xx and 429 rate alarms', () => {
  const alarm = (built: Built, name: string) => everyResource(built, 'AWS::CloudWatch::Alarm').find(({ id }) => id.startsWith(`Monitoring${name}`))!.resource.Properties;

  it('alarm on the share of 4xx answers of the API, over a minimum of requests', () => {
    const rate = alarm(dev, 'Api4xxRate');
    expect(rate).toMatchObject({ Threshold: 25, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    const expression = rate.Metrics.find((m: Json) => m.Expression).Expression;
    expect(expression).toBe(`IF(requests >= ${RATE_MINIMUM_REQUESTS}, 100 * FILL(clientErrors, 0) / requests, 0)`);
    const names = rate.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric.MetricName);
    expect(names.sort()).toEqual(['4xx', 'Count']);
  });

  it('count 429 answers from the access logs, per API, and alarm on their share', () => {
    const [[, filter]] = ofType(dev.resources, 'AWS::Logs::MetricFilter') as [[string, Json]];
    const accessLogs = ofType(dev.resources, 'AWS::Logs::LogGroup').find(([id]) => id.startsWith('ApiAccessLogs'))![0];
    expect(filter.Properties).toMatchObject({ LogGroupName: { Ref: accessLogs }, FilterPattern: '{ $.status = "429" }' });
    expect(filter.Properties.MetricTransformations).toEqual([
      { MetricNamespace: 'Latchkey', MetricName: THROTTLED_RESPONSES_METRIC, MetricValue: '1', Dimensions: [{ Key: 'ApiId', Value: '$.apiId' }] },
    ]);
    // The access log lines carry the API's ID the filter reads.
    const [[, stage]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Stage') as [[string, Json]];
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format).apiId).toBe('$context.apiId');

    const rate = alarm(dev, 'Api429Rate');
    expect(rate.Threshold).toBe(5);
    const throttled = rate.Metrics.find((m: Json) => m.Id === 'throttled').MetricStat.Metric;
    expect(throttled).toMatchObject({ Namespace: 'Latchkey', MetricName: THROTTLED_RESPONSES_METRIC });
    const apiId = ofType(dev.resources, 'AWS::ApiGatewayV2::Api')[0]![0];
    expect(throttled.Dimensions).toEqual([{ Name: 'ApiId', Value: { Ref: apiId } }]);
  });

  it('take their thresholds from alarmThresholds', () => {
    expect(alarm(tuned, 'Api4xxRate').Threshold).toBe(40);
    expect(alarm(tuned, 'Api429Rate').Threshold).toBe(10);
  });
});

describe('the table’s backup plan', () => {
  it('is off by default; point-in-time recovery is always on', () => {
    for (const built of [dev, prod, tuned]) {
      built.template.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    }
    expect(ofType(dev.resources, 'AWS::Backup::BackupPlan')).toEqual([]);
    expect(() => buildStack({ backupRetentionDays: '10' })).toThrow(/backupRetentionDays needs backup=true/);
  });

  it('backs the table up daily into a retained vault, keeping backupRetentionDays, with a role that may restore', () => {
    const [[, plan]] = ofType(tuned.resources, 'AWS::Backup::BackupPlan') as [[string, Json]];
    const [[vaultId, vault]] = ofType(tuned.resources, 'AWS::Backup::BackupVault') as [[string, Json]];
    expect(vault).toMatchObject({ DeletionPolicy: 'Retain', Properties: { BackupVaultName: 'latchkey-dev' } });
    expect(plan.Properties.BackupPlan.BackupPlanRule).toEqual([
      expect.objectContaining({
        RuleName: 'daily',
        ScheduleExpression: 'cron(0 3 * * ? *)',
        Lifecycle: { DeleteAfterDays: 90 },
        TargetBackupVault: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
      }),
    ]);

    const [[, selection]] = ofType(tuned.resources, 'AWS::Backup::BackupSelection') as [[string, Json]];
    const tableId = ofType(tuned.resources, 'AWS::DynamoDB::Table')[0]![0];
    expect(selection.Properties.BackupSelection.Resources).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
    const role = tuned.resources[selection.Properties.BackupSelection.IamRoleArn['Fn::GetAtt'][0]];
    const managed = JSON.stringify(role.Properties.ManagedPolicyArns);
    expect(managed).toContain('AWSBackupServiceRolePolicyForBackup');
    expect(managed).toContain('AWSBackupServiceRolePolicyForRestores');
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('backup.amazonaws.com');
  });
});

describe('secrets created at run time under latchkey/<stage>/', () => {
  const cleanupOf = (built: Built) => ofType(built.resources, 'Custom::LatchkeyRunTimeSecrets');

  it('are deleted with a stage that keeps no state: a custom resource, deleted after everything that creates them', () => {
    const [[cleanupId, cleanup]] = cleanupOf(dev) as [[string, Json]];
    expect(cleanup.Properties.Prefix).toBe('latchkey/dev/');
    const fn = dev.resources[cleanup.Properties.ServiceToken['Fn::GetAtt'][0]];
    expect(fn.Properties.Environment.Variables).toEqual({ LATCHKEY_SECRET_PREFIX: 'latchkey/dev/' });
    // The HTTP API (and with it every route, function and nested stack) depends on the cleanup, so
    // CloudFormation deletes it only once nothing can create a secret any more.
    const [[, api]] = ofType(dev.resources, 'AWS::ApiGatewayV2::Api') as [[string, Json]];
    expect(api.DependsOn).toEqual(expect.arrayContaining([cleanupId]));
    for (const [, nested] of ofType(dev.resources, 'AWS::CloudFormation::Stack')) expect(nested.DependsOn ?? []).toEqual(expect.arrayContaining([cleanupId]));
  });

  it('may be deleted by the cleanup only under the stage prefix and only when CloudFormation does not manage them; listing names is all it may do elsewhere', () => {
    const [[, cleanup]] = cleanupOf(dev) as [[string, Json]];
    const fn = dev.resources[cleanup.Properties.ServiceToken['Fn::GetAtt'][0]];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType(dev.resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s: Json) => JSON.stringify(s.Action).includes('secretsmanager'));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
      {
        Effect: 'Allow',
        Action: 'secretsmanager:DeleteSecret',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:latchkey/dev/*']] },
        Condition: { Null: { 'aws:ResourceTag/aws:cloudformation:stack-id': 'true' } },
      },
    ]);
    expect(dev.resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('are kept where the table is retained (prod)', () => {
    expect(cleanupOf(prod)).toEqual([]);
    expect(ofType(prod.resources, 'AWS::DynamoDB::Table')[0]![1].DeletionPolicy).toBe('Retain');
  });
});

describe('the canary', () => {
  const canaryRules = (built: Built) =>
    everyResource(built, 'AWS::Events::Rule').filter(({ resource }) => resource.Properties.Targets[0].Arn['Fn::GetAtt']?.[0] === operationFunctions(built).get('run-canary')!.id);
  const canaryAlarms = (built: Built) => everyResource(built, 'AWS::CloudWatch::Alarm').filter(({ id }) => id.startsWith('Canary'));

  it('is a function of the route table that reads only its own secret, run by nobody until canary=true', () => {
    const fn = operationFunctions(dev).get('run-canary')!;
    expect(fn.env.LATCHKEY_CANARY_SECRET_ID).toBe('latchkey/dev/canary');
    expect(fn.env.LATCHKEY_ISSUER).toBeDefined();
    const statements = functionStatements(fn);
    // Besides its own logs and X-Ray: its secret, nothing else (no table, no key, no other secret).
    expect(statements.flatMap((s: Json) => [s.Action].flat()).filter((a: string) => !/^(logs|xray):/.test(a))).toEqual(['secretsmanager:GetSecretValue']);
    expect(statements.filter((s: Json) => JSON.stringify(s.Action).includes('secretsmanager'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:latchkey/dev/canary-??????']],
        },
      },
    ]);
    expect(canaryRules(dev)).toEqual([]);
    expect(canaryAlarms(dev)).toEqual([]);
  });

  it('runs every minute with canary=true, without retries', () => {
    const [rule] = canaryRules(tuned);
    expect(rule!.resource.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
    expect(rule!.resource.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
    expect(canaryRules(tuned)).toHaveLength(1);
  });

  it('alarms on failed runs (a canary that does not run counts as failing) and on its latency, to the alarm topic, with runbooks', () => {
    const alarms = new Map(canaryAlarms(tuned).map(({ id, resource, where }) => [id.replace(/[A-F0-9]{8}$/, ''), { properties: resource.Properties, where }]));
    const failures = alarms.get('CanaryCanaryFailures')!.properties;
    expect(failures).toMatchObject({
      Namespace: 'Latchkey',
      MetricName: CUSTOM_METRICS.canaryFailures,
      Statistic: 'Sum',
      Threshold: 2,
      TreatMissingData: 'breaching',
      Dimensions: expect.arrayContaining([{ Name: 'operation', Value: 'run-canary' }]),
    });
    const latency = alarms.get('CanaryCanaryLatency')!.properties;
    expect(latency).toMatchObject({ MetricName: CUSTOM_METRICS.canaryLatency, Statistic: 'Average', Threshold: 1500, EvaluationPeriods: 2, TreatMissingData: 'notBreaching' });
    // The names the function publishes.
    expect([CUSTOM_METRICS.canaryFailures, CUSTOM_METRICS.canaryLatency]).toEqual([CANARY_METRICS.failures, CANARY_METRICS.latency]);
    const topic = ofType(tuned.resources, 'AWS::SNS::Topic')[0]![0];
    const headings = new Set([...readFileSync('docs/operations.md', 'utf8').matchAll(/^### (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    for (const { properties, where } of alarms.values()) {
      expect(resolved(where, properties.AlarmActions)).toEqual([{ Ref: topic }]);
      expect(headings).toContain(/#([a-z0-9]+)\)$/.exec(properties.AlarmDescription)![1]);
    }
  });
});

describe('CloudFront with AWS WAF in front of the API (apiWaf=true)', () => {
  const app = tuned.stack.node.root;
  const wafStack = app.node.tryFindChild('Latchkey-dev-ApiWaf') as Stack;
  const waf = Template.fromStack(wafStack).toJSON().Resources;
  const [[, distribution]] = ofType(tuned.resources, 'AWS::CloudFront::Distribution') as [[string, Json]];
  const config = distribution.Properties.DistributionConfig;

  it('puts the web ACL in a stack of its own in us-east-1, where CloudFront takes web ACLs from, when the API is elsewhere', () => {
    expect(wafStack.region).toBe('us-east-1');
    expect(tuned.stack.region).toBe('eu-west-1');
    const [[, acl]] = ofType(waf, 'AWS::WAFv2::WebACL') as [[string, Json]];
    expect(acl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules;
    expect(rules[0]).toMatchObject({ Name: 'rate-per-ip', Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP' } } });
    expect(rules.slice(1).map((rule: Json) => rule.Statement.ManagedRuleGroupStatement.Name)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesCommonRuleSet',
    ]);
    // OAuth's own URLs in query and body, and SAML's large bodies, are counted, not blocked.
    const counted = rules[3].Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: Json) => [o.Name, o.ActionToUse]);
    expect(counted).toEqual(COUNTED_COMMON_RULES.map((name) => [name, { Count: {} }]));
    // The distribution names the ACL through the cross-region reference, not a literal.
    expect(JSON.stringify(config.WebACLId)).not.toMatch(/arn:aws:wafv2/);
    expect(config.WebACLId).toBeDefined();
  });

  it('serves the public name with its us-east-1 certificate, TLS 1.2 at least, nothing cached, and sends the origin secret to the API’s own domain', () => {
    expect(config.Aliases).toEqual(['id.example.com']);
    expect(config.ViewerCertificate).toMatchObject({
      AcmCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/edge',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    const [origin] = config.Origins;
    expect(origin.DomainName).toBe('api-origin.example.com');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    const [header] = origin.OriginCustomHeaders;
    expect(header.HeaderName).toBe(ORIGIN_HEADER);
    // A dynamic reference to the origin secret: its value is in no template.
    const secretId = ofType(tuned.resources, 'AWS::SecretsManager::Secret').find(([, s]) => s.Properties.Name === 'latchkey/dev/origin-verify')![0];
    expect(JSON.stringify(header.HeaderValue)).toContain('{{resolve:secretsmanager:');
    expect(JSON.stringify(header.HeaderValue)).toContain(secretId);
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'https-only', CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' });
  });

  it('sends the viewer’s address to the API, and tells every function (and only behind CloudFront) to read the client’s address from it', () => {
    // AllViewerExceptHostHeader: every viewer header but Host, and CloudFront's headers, CloudFront-Viewer-Address among them.
    expect(config.DefaultCacheBehavior.OriginRequestPolicyId).toBe(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId);
    expect(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const functions = [...operationFunctions(tuned).values()];
    expect(functions.length).toBeGreaterThan(50);
    for (const fn of functions) expect(fn.env[ENV.behindCloudFront]).toBe('true');
    // Without the distribution the header is the client's own: no function believes it.
    for (const fn of operationFunctions(dev).values()) expect(fn.env[ENV.behindCloudFront]).toBeUndefined();
  });

  it('moves the API to its origin domain, keeps the issuer on the public name, and turns the execute-api endpoint off', () => {
    tuned.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    const [[, domain]] = ofType(tuned.resources, 'AWS::ApiGatewayV2::DomainName') as [[string, Json]];
    expect(domain.Properties.DomainName).toBe('api-origin.example.com');
    expect(domain.Properties.DomainNameConfigurations[0].CertificateArn).toBe('arn:aws:acm:eu-west-1:111111111111:certificate/origin');
    for (const fn of operationFunctions(tuned).values()) expect(fn.env.LATCHKEY_ISSUER).toBe('https://id.example.com');
    expect(tuned.template.toJSON().Outputs.ApiUrl.Value).toBe('https://id.example.com/');
    const records = ofType(tuned.resources, 'AWS::Route53::RecordSet').map(([, r]) => [r.Properties.Name, r.Properties.Type, JSON.stringify(r.Properties.AliasTarget.DNSName)]);
    expect(
      records.filter(([name]) => name === 'id.example.com.').map(([, type, target]) => [type, target.includes('DomainName') && !target.includes('RegionalDomainName')]),
    ).toEqual([
      ['A', true],
      ['AAAA', true],
    ]);
    expect(records.find(([name]) => name === 'api-origin.example.com.')![2]).toContain('RegionalDomainName');
  });

  it('makes every route pass the origin check: a Lambda authorizer on the origin header that reads only the origin secret', () => {
    const [[authorizerId, authorizer]] = ofType(tuned.resources, 'AWS::ApiGatewayV2::Authorizer') as [[string, Json]];
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: [`$request.header.${ORIGIN_HEADER}`],
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 3600,
    });
    const routes = everyResource(tuned, 'AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThan(50);
    for (const { resource, where } of routes) {
      expect(resource.Properties.AuthorizationType, resource.Properties.RouteKey).toBe('CUSTOM');
      expect(resolved(where, resource.Properties.AuthorizerId)).toEqual({ Ref: authorizerId });
    }
    // Without apiWaf no route has an authorizer: each authenticates its callers itself.
    for (const { resource } of everyResource(dev, 'AWS::ApiGatewayV2::Route')) expect(resource.Properties.AuthorizationType ?? 'NONE').toBe('NONE');

    const fnId = ofType(tuned.resources, 'AWS::Lambda::Permission').find(([, p]) => JSON.stringify(p.Properties.SourceArn).includes('/authorizers/'))![1].Properties.FunctionName[
      'Fn::GetAtt'
    ][0];
    const roleId = tuned.resources[fnId].Properties.Role['Fn::GetAtt'][0];
    const statements = ofType(tuned.resources, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s: Json) => !JSON.stringify(s.Action).includes('logs:'));
    const secretId = ofType(tuned.resources, 'AWS::SecretsManager::Secret').find(([, s]) => s.Properties.Name === 'latchkey/dev/origin-verify')![0];
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } }]);
  });

  it('makes the web ACL in the stack itself when it is in us-east-1, and puts the API on origin.<domainName> with certificateArn by default', () => {
    const [context] = OPERATOR_CONTROLS;
    const east = buildStack(
      { stage: 'edge', domainName: context.domainName, certificateArn: context.apiWafCertificateArn, apiWaf: 'true' },
      { env: { account: '111111111111', region: 'us-east-1' } },
    );
    expect(east.stack.node.root.node.tryFindChild('Latchkey-edge-ApiWaf')).toBeUndefined();
    const [[aclId]] = ofType(east.resources, 'AWS::WAFv2::WebACL') as [[string, Json]];
    const [[, edge]] = ofType(east.resources, 'AWS::CloudFront::Distribution') as [[string, Json]];
    expect(edge.Properties.DistributionConfig.WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(edge.Properties.DistributionConfig.ViewerCertificate.AcmCertificateArn).toBe(context.apiWafCertificateArn);
    expect(edge.Properties.DistributionConfig.Origins[0].DomainName).toBe('origin.id.example.com');
    const [[, domain]] = ofType(east.resources, 'AWS::ApiGatewayV2::DomainName') as [[string, Json]];
    expect([domain.Properties.DomainName, domain.Properties.DomainNameConfigurations[0].CertificateArn]).toEqual(['origin.id.example.com', context.apiWafCertificateArn]);
  });

  it('refuses what cannot work', () => {
    const domain = { domainName: 'id.example.com', certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/regional' };
    expect(() => buildStack({ apiWaf: 'true' })).toThrow(/apiWaf=true needs the custom domain/);
    expect(() => buildStack({ ...domain, apiWaf: 'true' })).toThrow(/CloudFront needs a certificate for domainName in us-east-1: set apiWafCertificateArn/);
    const edge = { ...domain, apiWaf: 'true', apiWafCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/edge' };
    expect(() => buildStack({ ...edge, mtls: 'true' })).toThrow(/apiWaf=true and mtls=true cannot be combined/);
    expect(() => buildStack({ ...edge, console: 'true' })).toThrow(/apiWaf=true and console=true cannot be combined/);
    expect(() => buildStack(edge)).toThrow(/needs the stack region known/);
  });
});
