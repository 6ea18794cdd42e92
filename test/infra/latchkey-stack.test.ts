import { Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { operations } from '../../lib/routes';
import { TABLE_DESIGN } from '../../src/adapters/table-design';
import {
  buildStack,
  buildTestApp,
  everyResource,
  functionRole,
  KMS_MODE,
  nagFindings,
  newestNodeRuntime,
  ofType,
  operationFunctions,
  PROD_KMS,
  PROD_ON_DOMAIN,
  PROD_WITH_MTLS,
  resolved,
  routeKey,
  type Json,
} from './build-stack';

const dev = buildStack();
const prod = buildStack(PROD_KMS);

describe('functions and routes, from the route table', () => {
  it('has exactly one function per operation', () => {
    const functions = operationFunctions(dev);
    expect([...functions.keys()].sort()).toEqual(operations.map((op) => op.name).sort());
  });

  it('runs every function on the newest Node.js runtime, arm64, traced, with the shared settings', () => {
    for (const [name, fn] of operationFunctions(dev)) {
      const p = fn.resource.Properties;
      expect(p.Runtime).toBe(newestNodeRuntime());
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      expect(p.Timeout).toBe(10);
      expect(p.MemorySize).toBe(512);
      expect(p.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'latchkey',
        POWERTOOLS_METRICS_NAMESPACE: 'Latchkey',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        LATCHKEY_OPERATION: name,
        LATCHKEY_ISSUER: { 'Fn::GetAtt': [expect.stringMatching(/HttpApi/), 'ApiEndpoint'] },
      });
      expect(p.LoggingConfig.LogGroup.Ref).toBeDefined();
      // Source maps are deployed but not parsed at each cold start.
      expect(fn.env.NODE_OPTIONS).toBeUndefined();
      expect(p.Tags).toContainEqual({ Key: 'latchkey:stack', Value: 'Latchkey-dev' });
      // No managed policy (AWSLambdaBasicExecutionRole): logs are granted on the function's own group.
      expect(functionRole(fn).Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('routes exactly the route keys of the table, each to its operation’s function, in the function’s own stack', () => {
    const functions = operationFunctions(dev);
    const expected = new Map(operations.flatMap((op) => op.routes.map((r) => [routeKey(r), op.name] as const)));
    const routes = everyResource(dev, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(({ resource }) => resource.Properties.RouteKey).sort()).toEqual([...expected.keys()].sort());
    expect(expected.has('$default')).toBe(true);
    const apiId = ofType(dev.resources, 'AWS::ApiGatewayV2::Api')[0]![0];

    for (const { resource: route, where } of routes) {
      expect(resolved(where, route.Properties.ApiId)).toEqual({ Ref: apiId });
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = where.resources[integrationId].Properties;
      const fn = functions.get(expected.get(route.Properties.RouteKey)!)!;
      expect(fn.where).toBe(where);
      expect(integration.IntegrationUri).toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    }
  });

  it('is one HTTP API with payload format 2.0 Lambda proxy integrations', () => {
    expect(everyResource(dev, 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', DisableExecuteApiEndpoint: false });
    const integrations = everyResource(dev, 'AWS::ApiGatewayV2::Integration');
    // Operations without routes (invoke-only, such as bootstrap) have no integration.
    expect(integrations).toHaveLength(operations.filter((op) => op.routes.length > 0).length);
    for (const { resource } of integrations) {
      expect(resource.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
  });

  it('logs access on the $default stage', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('context.requestId') },
    });
  });

  it('gives every log group a retention', () => {
    const groups = everyResource(dev, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(operations.length + 2); // one per function + API access logs + the run-time secrets cleanup
    for (const { resource } of groups) expect(resource.Properties.RetentionInDays).toBe(30);
  });
});

describe('the bootstrap function', () => {
  const bootstrap = operations.find((op) => op.name === 'bootstrap')!;
  const fn = operationFunctions(dev).get('bootstrap')!;

  it('exists with no route and no integration', () => {
    expect(bootstrap.routes).toEqual([]);
    for (const { resource } of everyResource(dev, 'AWS::ApiGatewayV2::Integration')) {
      expect(resource.Properties.IntegrationUri).not.toEqual({ 'Fn::GetAtt': [fn.id, 'Arn'] });
    }
  });

  it('cannot be invoked by API Gateway or any other service: no resource policy names it', () => {
    const permissions = everyResource(dev, 'AWS::Lambda::Permission').map(({ resource }) => resource.Properties);
    // The check below must be able to fail: routed functions do have API Gateway permissions.
    expect(permissions.some((p) => p.Principal === 'apigateway.amazonaws.com')).toBe(true);
    expect(permissions.filter((p) => JSON.stringify(p.FunctionName).includes(fn.id))).toEqual([]);
  });

  it('is named by the BootstrapFunctionName output of the top-level stack', () => {
    const output = dev.template.toJSON().Outputs.BootstrapFunctionName.Value;
    expect(JSON.stringify(output)).toContain(fn.where.stack.node.id);
  });
});

describe('state', () => {
  it('has one on-demand table with PITR, TTL and the GSI of the table design', () => {
    expect(everyResource(dev, 'AWS::DynamoDB::Table')).toHaveLength(1);
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_DESIGN.timeToLiveAttribute, Enabled: true },
      KeySchema: [
        { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_DESIGN.indexes.map((index) => Match.objectLike({ IndexName: index.name })),
    });
  });

  it('keeps audit events 400 days by default: every function that may write one knows the retention the TTL applies', () => {
    const functions = [...operationFunctions(dev).values()];
    expect(functions.length).toBeGreaterThan(30);
    for (const fn of functions) expect(fn.env.LATCHKEY_AUDIT_RETENTION_DAYS).toBe('400');
  });

  it('keeps the table, keys and pepper under their existing logical ids in the top-level stack', () => {
    // Moving them would replace them: every client and every key would be lost.
    expect(Object.keys(dev.resources)).toEqual(
      expect.arrayContaining(['StateTable962DE04C', 'StatePepperB3CDE29F', 'StateKeyWrappingKey96383BA9', 'StateSamlKeyWrappingKey0DED6292']),
    );
    expect(Object.keys(prod.resources).filter((id) => id.startsWith('StateSigningKeyprimary') && prod.resources[id].Type === 'AWS::KMS::Key')).toHaveLength(1);
  });

  it('retains and protects everything in prod', () => {
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
      const found = everyResource(prod, type);
      expect(found.length).toBeGreaterThan(0);
      for (const { resource } of found) expect(resource.DeletionPolicy).toBe('Retain');
    }
  });

  it('does not retain or protect the table in other stages', () => {
    const [[, table]] = ofType(dev.resources, 'AWS::DynamoDB::Table') as [[string, Json]];
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).not.toBe(true);
  });

  it('has, in envelope mode, one rotating symmetric key-wrapping key and no token signing key in KMS', () => {
    dev.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, KeySpec: Match.absent() });
    dev.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-dev-key-wrapping' });
    const signing = ofType(dev.resources, 'AWS::KMS::Key').filter(([, key]) => key.Properties.KeySpec === 'ECC_NIST_P256');
    expect(signing).toEqual([]);
  });

  it('has, in KMS mode, a P-256 signing key per name and an RSA key for RS256, with their aliases', () => {
    prod.template.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    prod.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-prod-signing-primary' });
    prod.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-prod-signing-rsa' });
    expect(ofType(prod.resources, 'AWS::KMS::Alias').some(([, a]) => a.Properties.AliasName === 'alias/latchkey-prod-key-wrapping')).toBe(false);
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
    for (const output of ['ApiUrl', 'Issuer', 'TableName', 'KeyWrappingKeyArn', 'PepperSecretArn', 'AlarmTopicArn', 'DashboardName']) dev.template.hasOutput(output, {});
    prod.template.hasOutput('SigningKeyArn', {});
  });

  it('issues on the custom domain when one is given, and turns the execute-api endpoint off', () => {
    const built = buildStack(PROD_ON_DOMAIN);
    const { template } = built;
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'id.example.com' });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'id.example.com.', Type: 'A' });
    template.hasOutput('Issuer', { Value: 'https://id.example.com' });
    template.hasOutput('ApiUrl', { Value: 'https://id.example.com/' });
    for (const fn of operationFunctions(built).values()) expect(fn.env.LATCHKEY_ISSUER).toBe('https://id.example.com');
  });

  it('rejects bad context', () => {
    expect(() => buildStack({ signingMode: 'kms', signingKeys: 'old,new', activeSigningKey: 'other' })).toThrow(/activeSigningKey/);
    expect(() => buildStack({ domainName: 'id.example.com' })).toThrow(/certificateArn/);
    expect(() => buildStack({ signingMode: 'hsm' })).toThrow(/signingMode must be envelope or kms/);
    expect(() => buildStack({ signingKeyRotationDays: '0' })).toThrow(/signingKeyRotationDays must be a number from 1 to 365/);
    expect(() => buildStack({ logLevel: 'LOUD' })).toThrow(/logLevel must be one of/);
    expect(() => buildStack({ auditRetentionDays: '0' })).toThrow(/auditRetentionDays must be a number from 1 to 3650/);
    expect(() => buildStack({ tracingSampleRate: '2' })).toThrow(/tracingSampleRate must be a number from 0 to 1/);
    expect(() => buildStack({ alarmEmail: 'ops' })).toThrow(/alarmEmail ops is not an email address/);
    expect(() => buildStack({ alarmThresholds: '{"lambdaErrors": -1}' })).toThrow(/lambdaErrors must be a positive number/);
    expect(() => buildStack({ alarmThresholds: '{"typo": 1}' })).toThrow(/unknown alarm typo/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['dev (envelope)', dev],
    ['prod (KMS mode)', prod],
    ['prod (envelope mode) with a custom domain and mutual TLS', buildStack(PROD_WITH_MTLS)],
    ['dev (KMS mode)', buildStack(KMS_MODE)],
    // `cdk deploy` knows the account and region, so ARNs carry them as literals rather than tokens.
    ['dev, deployed to a known account and region', buildStack({ alarmEmail: 'ops@example.com' }, { env: { account: '111111111111', region: 'eu-west-1' } })],
  ])('has no unacknowledged findings in %s', (_stage, built) => {
    expect(nagFindings(built.stack)).toEqual([]);
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    expect(built.annotations.findError('*', nag)).toEqual([]);
    expect(built.annotations.findWarning('*', nag)).toEqual([]);
  });

  it('fails synthesis of the app on an unacknowledged finding, in the top-level stack or an area’s nested stack', () => {
    const { app, stack } = buildTestApp();
    new Secret(stack, 'UnrotatedSecret');
    new Secret(stack.api.areas.get('oauth')!, 'UnrotatedSecret');
    const failure = (() => {
      try {
        app.synth();
        return 'synthesized';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(failure).toMatch(/AwsSolutions-SMG4/);
    // One synthesis reports both, each finding under its own construct.
    for (const where of ['Latchkey-dev/UnrotatedSecret', 'Latchkey-dev/OauthArea/UnrotatedSecret']) {
      expect(failure, where).toMatch(new RegExp(`\\n\\s*${where}/Resource .*\\n\\s*Acknowledge with 'AwsSolutions::AwsSolutions-SMG4'`));
    }
  });
});
