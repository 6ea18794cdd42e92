import { describe, expect, it } from 'vitest';
import { operations, signs, signsSaml, type Operation } from '../../lib/routes';
import { ENV } from '../../src/config';
import {
  actionsOf,
  buildStack,
  everyAccessOperations,
  functionStatements,
  keyIdByAlias,
  list,
  nagFindings,
  ofType,
  operationFunctions,
  type Built,
  type Json,
} from './build-stack';

const DATA_SERVICES = /^(dynamodb|kms|secretsmanager):/;
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const EXTRA_WEBHOOK = 'arn:aws:lambda:eu-west-1:123456789012:function:acme-enrichment';
const WEBHOOK_ACTIONS: Record<string, string[]> = {
  webhook: ['secretsmanager:GetSecretValue'],
  'webhook-write': ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue'],
};
/** Statements on the stage's webhook secret name prefix (`...:secret:latchkey/dev/webhook/*`). */
const onWebhookSecrets = (statement: Json) => list<Json>(statement.Resource).some((r) => JSON.stringify(r).includes(':secret:latchkey/dev/webhook/*'));

// The real route table in a single-key stage, and a table with every kind of access during a
// key rotation (two published keys, the newer one active).
const stages: [string, Built, readonly Operation[], string[], string][] = [
  ['the route table', buildStack(), operations, ['primary'], 'primary'],
  [
    'every kind of access, mid-rotation',
    buildStack({ signingKeys: 'old,new', activeSigningKey: 'new', enrichmentLambdaArns: EXTRA_WEBHOOK }, { operations: everyAccessOperations }),
    everyAccessOperations,
    ['old', 'new'],
    'new',
  ],
];

describe.each(stages)('access derived from %s', (_name, built, table, keyNames, active) => {
  const { resources } = built;
  const functions = operationFunctions(resources);
  const keyIds = keyNames.map((name) => keyIdByAlias(resources, `alias/latchkey-dev-signing-${name}`));
  const activeKeyId = keyIdByAlias(resources, `alias/latchkey-dev-signing-${active}`);
  const samlKeyId = keyIdByAlias(resources, 'alias/latchkey-dev-saml-signing');
  const tableId = ofType(resources, 'AWS::DynamoDB::Table')[0]![0];
  const pepperId = ofType(resources, 'AWS::SecretsManager::Secret')[0]![0];
  const each = table.map((op) => {
    const fn = functions.get(op.name)!.resource;
    return { op, env: fn.Properties.Environment.Variables, statements: functionStatements(resources, fn) };
  });

  it('has one function per operation', () => {
    expect([...functions.keys()].sort()).toEqual(table.map((op) => op.name).sort());
  });

  it('lets only signers sign: token minters with the active key, SAML certifiers with the SAML key', () => {
    for (const { op, statements } of each) {
      // Statements may be merged (iam:minimizePolicies), so check what every kms:Sign applies to.
      const signing = statements.filter((s) => list(s.Action).includes('kms:Sign'));
      const keys = signing.flatMap((s) => list<Json>(s.Resource).map((r) => r['Fn::GetAtt'][0]));
      expect(keys.sort()).toEqual([...(signs(op) ? [activeKeyId] : []), ...(signsSaml(op) ? [samlKeyId] : [])].sort());
    }
  });

  it('lets key users read the public key of every published key, and SAML certifiers that of the SAML key', () => {
    for (const { op, statements } of each) {
      const reading = statements.filter((s) => list(s.Action).includes('kms:GetPublicKey'));
      const resources = reading.flatMap((s) => list<Json>(s.Resource).map((r) => r['Fn::GetAtt'][0]));
      expect(resources.sort()).toEqual([...(op.access.keys ? keyIds : []), ...(signsSaml(op) ? [samlKeyId] : [])].sort());
    }
  });

  it('gives the SAML key to no one but the operations that issue SAML certificates', () => {
    const holders = each.filter(({ statements }) =>
      statements.some((s) => list<Json>(s.Resource).some((r) => r['Fn::GetAtt']?.[0] === samlKeyId)),
    );
    expect(holders.map(({ op }) => op.name).sort()).toEqual(table.filter(signsSaml).map((op) => op.name).sort());
    if (table === operations) expect(table.filter(signsSaml).map((op) => op.name).sort()).toEqual(['create-saml-client', 'rotate-saml-certificate']);
  });

  it('grants table and secret access exactly as declared', () => {
    for (const { op, statements } of each) {
      const actions = actionsOf(statements);
      expect(actions.some((a) => a.startsWith('dynamodb:'))).toBe(Boolean(op.access.table));
      expect(actions.includes('dynamodb:PutItem')).toBe(op.access.table === 'readwrite');
      const pepper = statements.filter((s) => list(s.Resource).some((r: Json) => r.Ref === pepperId));
      expect(actionsOf(pepper).sort()).toEqual(
        op.access.secrets?.includes('pepper') ? ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] : [],
      );
      const webhook = statements.filter(onWebhookSecrets);
      const wanted = (op.access.secrets ?? []).flatMap((secret) => WEBHOOK_ACTIONS[secret] ?? []);
      expect(actionsOf(webhook).sort()).toEqual([...wanted].sort());
      // Nothing else of Secrets Manager: the pepper (read) and the webhook prefix, as declared.
      expect(actions.filter((a) => a.startsWith('secretsmanager:')).length).toBe((pepper.length ? 2 : 0) + wanted.length);
    }
  });

  it('lets only webhook callers invoke Lambda, and only the enrichment webhooks', () => {
    const webhookFunction = functions.get('enrichment-webhook')!.id;
    const extra = table === everyAccessOperations ? [EXTRA_WEBHOOK] : [];
    for (const { op, statements } of each) {
      const invoking = statements.filter((s) => list(s.Action).some((a: string) => a.startsWith('lambda:')));
      if (!op.access.invoke?.includes('enrichment-webhooks')) {
        expect(invoking, op.name).toEqual([]);
        continue;
      }
      expect(actionsOf(invoking)).toEqual(['lambda:InvokeFunction']);
      const byText = (values: Json[]) => values.map((value) => JSON.stringify(value)).sort();
      expect(byText(invoking.flatMap((s) => list(s.Resource)))).toEqual(byText([getAtt(webhookFunction), ...extra]));
    }
  });

  it('gives operations without access nothing but their own logs', () => {
    for (const { op, statements } of each.filter(({ op }) => Object.keys(op.access).length === 0)) {
      expect(actionsOf(statements).filter((a) => DATA_SERVICES.test(a))).toEqual([]);
      expect(actionsOf(statements).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(op.name).toBeTruthy();
    }
  });

  it('sets exactly the environment the access implies', () => {
    for (const { op, env } of each) {
      expect(env[ENV.tableName]).toEqual(op.access.table ? { Ref: tableId } : undefined);
      expect(env[ENV.signingKeyId]).toEqual(signs(op) ? getAtt(activeKeyId) : undefined);
      expect(env[ENV.samlSigningKeyId]).toEqual(signsSaml(op) ? getAtt(samlKeyId) : undefined);
      expect(env[ENV.pepperSecretId]).toEqual(op.access.secrets?.includes('pepper') ? { Ref: pepperId } : undefined);
      const webhookSecrets = op.access.secrets?.some((secret) => secret.startsWith('webhook'));
      expect(env[ENV.webhookSecretPrefix]).toEqual(webhookSecrets ? 'latchkey/dev/webhook/' : undefined);
      const published = env[ENV.publishedKeyIds];
      if (!op.access.keys) expect(published).toBeUndefined();
      else if (keyIds.length === 1) expect(published).toEqual(getAtt(keyIds[0]!));
      else expect(published).toEqual({ 'Fn::Join': ['', keyIds.flatMap((id, i) => (i ? [',', getAtt(id)] : [getAtt(id)]))] });
    }
  });

  it('grants no kms:Verify, kms:Decrypt or kms:* in any IAM policy', () => {
    const policies = [
      ...ofType(resources, 'AWS::IAM::Policy').map(([, p]) => p.Properties.PolicyDocument),
      ...ofType(resources, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties.PolicyDocument),
      ...ofType(resources, 'AWS::IAM::Role').flatMap(([, r]) => (r.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument)),
    ];
    const actions = policies.flatMap((doc) => actionsOf(doc.Statement));
    expect(actions.filter((a) => /^kms:(Verify|Decrypt|\*)$|^\*$/.test(a))).toEqual([]);
  });

  it('publishes the active key as the SigningKeyArn output', () => {
    built.template.hasOutput('SigningKeyArn', { Value: getAtt(activeKeyId) });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });
});

describe('signing key context', () => {
  it('defaults the active key to the last name, and accepts a JSON array', () => {
    const { resources, template } = buildStack({ signingKeys: '["a","b"]' });
    template.hasOutput('SigningKeyArn', { Value: getAtt(keyIdByAlias(resources, 'alias/latchkey-dev-signing-b')) });
    // Two token signing keys, and the SAML key.
    template.resourceCountIs('AWS::KMS::Key', 3);
  });
});

describe('route table checks', () => {
  it('rejects two operations on one route', () => {
    const twice = [...operations, { ...operations[0]!, name: 'copy' }];
    expect(() => buildStack({}, { operations: twice })).toThrow(/declared by both/);
  });
});

describe('the enrichment webhook function (DA-7)', () => {
  const { template, resources } = buildStack();
  const fn = operationFunctions(resources).get('enrichment-webhook')!;

  it('is invoke-only, named by the EnrichmentWebhookFunctionArn output, and reads webhook secrets only', () => {
    template.hasOutput('EnrichmentWebhookFunctionArn', { Value: getAtt(fn.id) });
    expect(ofType(resources, 'AWS::ApiGatewayV2::Integration').map(([, i]) => i.Properties.IntegrationUri)).not.toContainEqual(getAtt(fn.id));
    const actions = actionsOf(functionStatements(resources, fn.resource)).filter((a) => DATA_SERVICES.test(a));
    expect(actions).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('takes its claims table from the enrichmentClaims context, checked at synthesis', () => {
    const claims = { '*': { '*': { tier: 'free' } } };
    const configured = operationFunctions(buildStack({ enrichmentClaims: JSON.stringify(claims) }).resources).get('enrichment-webhook')!;
    expect(JSON.parse(configured.resource.Properties.Environment.Variables.ENRICHMENT_CLAIMS_JSON)).toEqual(claims);
    expect(fn.resource.Properties.Environment.Variables.ENRICHMENT_CLAIMS_JSON).toBeUndefined();
    expect(() => buildStack({ enrichmentClaims: '{"app": "not claims"}' })).toThrow(/ENRICHMENT_CLAIMS_JSON must map/);
  });

  it('refuses an enrichmentLambdaArns entry that is not a Lambda function ARN', () => {
    expect(() => buildStack({ enrichmentLambdaArns: 'arn:aws:s3:::bucket' })).toThrow(/enrichmentLambdaArns: arn:aws:s3:::bucket is not a Lambda function ARN/);
  });
});
