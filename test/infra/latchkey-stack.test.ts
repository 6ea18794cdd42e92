import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/latchkey-stack';
import { operations } from '../../lib/routes';
import { TABLE_DESIGN } from '../../src/adapters/table-design';
import { buildStack, nagFindings, newestNodeRuntime, ofType, operationFunctions, routeKey, type Json } from './build-stack';

const dev = buildStack();
const prod = buildStack({ stage: 'prod' });

describe('functions and routes, from the route table', () => {
  it('has exactly one function per operation', () => {
    const functions = operationFunctions(dev.resources);
    expect([...functions.keys()].sort()).toEqual(operations.map((op) => op.name).sort());
  });

  it('leaves room under the CloudFormation limit of 500 resources per stack', () => {
    // About seven resources per operation (function, role, policy, log group, route, integration,
    // permission). Past this budget, move areas of the API into nested stacks before adding routes.
    const count = (resources: Record<string, Json>) => Object.keys(resources).length;
    expect(count(dev.resources)).toBeLessThan(450);
    expect(count(prod.resources)).toBeLessThan(450);
  });

  it('runs every function on the newest Node.js runtime, arm64, with the shared settings', () => {
    for (const { resource } of operationFunctions(dev.resources).values()) {
      const p = resource.Properties;
      expect(p.Runtime).toBe(newestNodeRuntime());
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      expect(p.Timeout).toBe(10);
      expect(p.MemorySize).toBe(512);
      expect(p.Environment.Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'latchkey',
        POWERTOOLS_METRICS_NAMESPACE: 'Latchkey',
        LATCHKEY_ISSUER: { 'Fn::GetAtt': [expect.stringMatching(/HttpApi/), 'ApiEndpoint'] },
      });
      expect(p.LoggingConfig.LogGroup.Ref).toBeDefined();
      // No managed policy (AWSLambdaBasicExecutionRole): logs are granted on the function's own group.
      const role = dev.resources[p.Role['Fn::GetAtt'][0]];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('routes exactly the route keys of the table, each to its operation’s function', () => {
    const functions = operationFunctions(dev.resources);
    const expected = new Map(operations.flatMap((op) => op.routes.map((r) => [routeKey(r), op.name] as const)));
    const routes = ofType(dev.resources, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual([...expected.keys()].sort());
    expect(expected.has('$default')).toBe(true);

    for (const [, route] of routes) {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = dev.resources[integrationId].Properties;
      const fnId = functions.get(expected.get(route.Properties.RouteKey)!)!.id;
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    }
  });

  it('is an HTTP API with payload format 2.0 Lambda proxy integrations', () => {
    dev.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const integrations = ofType(dev.resources, 'AWS::ApiGatewayV2::Integration');
    // Operations without routes (invoke-only, such as bootstrap) have no integration.
    expect(integrations).toHaveLength(operations.filter((op) => op.routes.length > 0).length);
    for (const [, integration] of integrations) {
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });

  it('logs access and throttles on the $default stage', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('context.requestId') },
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
    });
  });

  it('gives every log group a retention', () => {
    const groups = ofType(dev.resources, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(operations.length + 1); // one per function + API access logs
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });
});

describe('the bootstrap function (PL-5)', () => {
  const bootstrap = operations.find((op) => op.name === 'bootstrap')!;
  const fn = operationFunctions(dev.resources).get('bootstrap')!;

  it('exists with no route and no integration', () => {
    expect(bootstrap.routes).toEqual([]);
    for (const [, integration] of ofType(dev.resources, 'AWS::ApiGatewayV2::Integration')) {
      expect(integration.Properties.IntegrationUri).not.toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    }
  });

  it('cannot be invoked by API Gateway or any other service: no resource policy names it', () => {
    const permissions = ofType(dev.resources, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    // The check below must be able to fail: routed functions do have API Gateway permissions.
    expect(permissions.some((p) => p.Principal === 'apigateway.amazonaws.com')).toBe(true);
    expect(permissions.filter((p) => JSON.stringify(p.FunctionName).includes(fn.id))).toEqual([]);
  });

  it('is named by the BootstrapFunctionName output', () => {
    dev.template.hasOutput('BootstrapFunctionName', { Value: { Ref: fn.id } });
  });
});

describe('state', () => {
  it('has one on-demand table with PITR, TTL and the GSI of the table design', () => {
    dev.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_DESIGN.timeToLiveAttribute, Enabled: true },
      KeySchema: [
        { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_DESIGN.indexes.map((index) =>
        Match.objectLike({ IndexName: index.name }),
      ),
    });
  });

  it('retains and protects everything in prod', () => {
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      for (const [, resource] of ofType(prod.resources, type)) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('does not retain or protect the table in other stages', () => {
    const [[, table]] = ofType(dev.resources, 'AWS::DynamoDB::Table') as [[string, Json]];
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).not.toBe(true);
  });

  it('has a P-256 signing key per name with its alias', () => {
    // One token signing key, and the SAML key (see saml-and-mtls.test.ts).
    dev.template.resourceCountIs('AWS::KMS::Key', 2);
    dev.template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    dev.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-dev-signing-primary' });
    prod.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-prod-signing-primary' });
  });

  it('generates the pepper at deploy time', () => {
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'latchkey/dev/pepper',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });
});

describe('stack', () => {
  it('is named after the stage and has the outputs', () => {
    expect(dev.stack.stackName).toBe('Latchkey-dev');
    expect(prod.stack.stackName).toBe('Latchkey-prod');
    for (const output of ['ApiUrl', 'Issuer', 'TableName', 'SigningKeyArn', 'PepperSecretArn']) {
      dev.template.hasOutput(output, {});
    }
  });

  it('issues on the custom domain when one is given', () => {
    const { template, resources } = buildStack({
      domainName: 'id.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc',
      hostedZoneId: 'Z0123456789',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'id.example.com' });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'id.example.com.', Type: 'A' });
    template.hasOutput('Issuer', { Value: 'https://id.example.com' });
    for (const { resource } of operationFunctions(resources).values()) {
      expect(resource.Properties.Environment.Variables.LATCHKEY_ISSUER).toBe('https://id.example.com');
    }
  });

  it('rejects an active signing key that is not published', () => {
    expect(() => buildStack({ signingKeys: 'old,new', activeSigningKey: 'other' })).toThrow(/activeSigningKey/);
    expect(() => buildStack({ domainName: 'id.example.com' })).toThrow(/certificateArn/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['dev', dev],
    ['prod', prod],
    // `cdk deploy` knows the account and region, so ARNs carry them as literals rather than tokens.
    ['dev, deployed to a known account and region', buildStack({}, { env: { account: '111111111111', region: 'eu-west-1' } })],
  ])('has no unacknowledged findings in %s', (_stage, built) => {
    expect(nagFindings(built.stack)).toEqual([]);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(Annotations.fromStack(built.stack).findError('*', nag)).toEqual([]);
    expect(Annotations.fromStack(built.stack).findWarning('*', nag)).toEqual([]);
  });

  it('fails synthesis of the app on an unacknowledged finding', () => {
    const { app, stack } = buildApp({ 'aws:cdk:bundling-stacks': [] });
    new Secret(stack, 'UnrotatedSecret');
    expect(() => app.synth()).toThrow(/AwsSolutions-SMG4/);
  });
});
