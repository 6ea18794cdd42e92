import { describe, expect, it } from 'vitest';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '../../lib/constructs/grant-access';
import { operations, type Operation } from '../../lib/routes';
import { TABLE_DESIGN } from '../../src/adapters/table-design';
import { ENV } from '../../src/config';
import {
  actionsOf,
  buildStack,
  everyAccessOperations,
  everyResource,
  EXTRA_WEBHOOK,
  functionRole,
  functionStatements,
  keyIdByAlias,
  KMS_EVERY_ACCESS,
  list,
  nagFindings,
  ofType,
  operationFunctions,
  type Built,
  type Json,
} from './build-stack';

const DATA_SERVICES = /^(dynamodb|kms|secretsmanager):/;
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const WEBHOOK_ACTIONS: Record<string, string[]> = {
  webhook: ['secretsmanager:GetSecretValue'],
  'webhook-write': ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue'],
};
/** The upstream IDP connections' secrets: the same actions on their own prefix (`...:secret:latchkey/dev/idp/*`). */
const IDP_ACTIONS: Record<string, string[]> = { idp: WEBHOOK_ACTIONS.webhook!, 'idp-write': WEBHOOK_ACTIONS['webhook-write']! };
const onIdpSecrets = (statement: Json) => list<Json>(statement.Resource).some((r) => JSON.stringify(r).includes(':secret:latchkey/dev/idp/*'));
const PURPOSE = { StringEquals: { 'kms:EncryptionContext:latchkey:purpose': 'token-signing' } };
/** Statements on the stage's webhook secret name prefix (`...:secret:latchkey/dev/webhook/*`). */
const onWebhookSecrets = (statement: Json) => list<Json>(statement.Resource).some((r) => JSON.stringify(r).includes(':secret:latchkey/dev/webhook/*'));
const signs = (op: Operation) => op.access.keys === 'sign';
const SAML_PURPOSE = { StringEquals: { 'kms:EncryptionContext:latchkey:purpose': 'saml-signing' } };
const makesSamlKeys = (op: Operation) => op.access.samlKey === 'client-keys';
const usesSamlKeys = (op: Operation) => op.access.samlKey === 'client-keys' || op.access.samlKey === 'client-keys-use';
const targets = (statements: Json[], action: string) =>
  statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list<Json>(s.Resource).map((r) => r['Fn::GetAtt']?.[0] ?? JSON.stringify(r)));

type Mode = 'envelope' | 'kms';
// The real route table in envelope mode (the default), and every kind of access in KMS mode during
// a key rotation (two published keys, the newer one active).
const stages: [string, Mode, Built, readonly Operation[], string[], string][] = [
  ['the route table, envelope mode', 'envelope', buildStack(), operations, [], ''],
  ['every kind of access, KMS mode, mid-rotation', 'kms', buildStack(...KMS_EVERY_ACCESS), everyAccessOperations, ['old', 'new'], 'new'],
];

describe.each(stages)('access derived from %s', (_name, mode, built, table, keyNames, active) => {
  const { resources } = built;
  const functions = operationFunctions(built);
  const keyIds = keyNames.map((name) => keyIdByAlias(resources, `alias/latchkey-dev-signing-${name}`));
  const activeKeyId = mode === 'kms' ? keyIdByAlias(resources, `alias/latchkey-dev-signing-${active}`) : '';
  const rsaKeyId = mode === 'kms' ? keyIdByAlias(resources, 'alias/latchkey-dev-signing-rsa') : '';
  const wrappingKeyId = mode === 'envelope' ? keyIdByAlias(resources, 'alias/latchkey-dev-key-wrapping') : '';
  const samlWrappingKeyId = keyIdByAlias(resources, 'alias/latchkey-dev-saml-key-wrapping');
  const tableId = ofType(resources, 'AWS::DynamoDB::Table')[0]![0];
  const pepperId = ofType(resources, 'AWS::SecretsManager::Secret')[0]![0];
  const each = table.map((op) => {
    const fn = functions.get(op.name)!;
    return { op, env: fn.env, statements: functionStatements(fn), role: functionRole(fn) };
  });

  it('has one function per operation', () => {
    expect([...functions.keys()].sort()).toEqual(table.map((op) => op.name).sort());
  });

  it('lets only signers sign: token signers with the published ECC keys (the active one, and standby keys for a retirement) and the RSA key (KMS mode); no other key signs', () => {
    for (const { op, statements } of each) {
      const tokenKeys = mode === 'kms' && signs(op) ? [...keyIds, rsaKeyId] : [];
      expect(targets(statements, 'kms:Sign').sort(), op.name).toEqual(tokenKeys.sort());
    }
  });

  it('lets signers decrypt only with the key-wrapping key and only for token signing (envelope mode), SAML key users only with the SAML key-wrapping key for SAML signing', () => {
    for (const { op, statements } of each) {
      const decrypting = statements.filter((s) => list(s.Action).includes('kms:Decrypt'));
      const expected = [...(mode === 'envelope' && signs(op) ? [[getAtt(wrappingKeyId), PURPOSE]] : []), ...(usesSamlKeys(op) ? [[getAtt(samlWrappingKeyId), SAML_PURPOSE]] : [])];
      expect(
        decrypting.map((s) => [s.Resource, s.Condition]),
        op.name,
      ).toEqual(expected);
    }
  });

  it('gives the SAML key-wrapping key only to SAML client operations, the metadata and the authorization endpoint; only the SAML client operations make keys', () => {
    const holders = each.filter(({ statements }) => statements.some((s) => list<Json>(s.Resource).some((r) => r['Fn::GetAtt']?.[0] === samlWrappingKeyId)));
    expect(holders.map(({ op }) => op.name).sort()).toEqual(
      table
        .filter(usesSamlKeys)
        .map((op) => op.name)
        .sort(),
    );
    if (table === operations) {
      expect(
        table
          .filter(usesSamlKeys)
          .map((op) => op.name)
          .sort(),
      ).toEqual([
        'authorize',
        'choose-identity-provider',
        'create-idp-connection',
        'create-saml-client',
        'get-saml-metadata',
        'get-saml-sp-metadata',
        'rotate-saml-certificate',
        'update-idp-connection',
      ]);
    }
    for (const { op, statements } of holders) {
      const onKey = statements.filter((s) => list<Json>(s.Resource).some((r) => r['Fn::GetAtt']?.[0] === samlWrappingKeyId));
      const actions = makesSamlKeys(op) ? ['kms:GenerateDataKeyPairWithoutPlaintext', 'kms:Decrypt'] : ['kms:Decrypt'];
      expect(
        onKey.map((s) => [list<string>(s.Action).sort(), s.Condition]),
        op.name,
      ).toEqual([[actions.sort(), SAML_PURPOSE]]);
    }
  });

  it('lets only the rotation create key pairs, under the wrapping key, for token signing', () => {
    const rotators = each.filter(({ op, statements }) => !makesSamlKeys(op) && statements.some((s) => list(s.Action).includes('kms:GenerateDataKeyPairWithoutPlaintext')));
    if (mode === 'envelope') {
      expect(rotators.map(({ op }) => op.access.keys)).toEqual(table.filter((op) => op.access.keys === 'rotate').map(() => 'rotate'));
      for (const { statements } of rotators) {
        const generating = statements.filter((s) => list(s.Action).includes('kms:GenerateDataKeyPairWithoutPlaintext'));
        expect(generating.map((s) => [s.Resource, s.Condition, list(s.Action)])).toEqual([[getAtt(wrappingKeyId), PURPOSE, ['kms:GenerateDataKeyPairWithoutPlaintext']]]);
      }
    } else {
      expect(rotators).toEqual([]);
    }
  });

  it('lets key users read the public keys of the published keys (KMS mode), and no one else any public key', () => {
    for (const { op, statements } of each) {
      const published = mode === 'kms' && op.access.keys ? [...keyIds, rsaKeyId] : [];
      expect(targets(statements, 'kms:GetPublicKey').sort(), op.name).toEqual(published.sort());
    }
  });

  it('names each role’s key capabilities in its IAM path, which the key policies check', () => {
    for (const { op, role } of each) {
      const capabilities = [
        ...(makesSamlKeys(op) ? ['saml-key-maker'] : []),
        ...(op.access.samlKey === 'client-keys-use' ? ['saml-key-user'] : []),
        ...(signs(op) ? ['token-signer'] : []),
        ...(op.access.keys === 'rotate' && mode === 'envelope' ? ['key-rotator'] : []),
      ].sort();
      expect(role.Properties.Path, op.name).toBe(`/latchkey/dev/${capabilities.map((c) => `${c}/`).join('')}`);
    }
  });

  it('grants exactly the DynamoDB actions the adapters use: no Scan, no streams, indexes by name', () => {
    const indexArns = TABLE_DESIGN.indexes.map((index) => ({ 'Fn::Join': ['', [getAtt(tableId), `/index/${index.name}`]] }));
    for (const { op, statements } of each) {
      const onTable = statements.filter((s) => list(s.Action).some((a: string) => a.startsWith('dynamodb:')));
      const access = op.access.table ?? (op.access.keys ? 'read' : undefined);
      if (!access) {
        expect(onTable, op.name).toEqual([]);
        continue;
      }
      const onTableItself = onTable.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(getAtt(tableId)));
      const wanted = access === 'read' ? [...TABLE_READ_ACTIONS] : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
      expect(actionsOf(onTableItself).sort(), op.name).toEqual(wanted.sort());
      const onIndexes = onTable.filter((s) => s !== onTableItself[0]);
      expect(onIndexes.map((s) => [list(s.Action), s.Resource])).toEqual([[['dynamodb:Query'], indexArns.length === 1 ? indexArns[0] : indexArns]]);
      expect(actionsOf(onTable).filter((a) => /Scan|Stream|Shard|Describe|\*/.test(a))).toEqual([]);
    }
  });

  it('grants secret access exactly as declared', () => {
    for (const { op, statements } of each) {
      const actions = actionsOf(statements);
      const pepper = statements.filter((s) => list(s.Resource).some((r: Json) => r.Ref === pepperId));
      expect(actionsOf(pepper), op.name).toEqual(op.access.secrets?.includes('pepper') ? ['secretsmanager:GetSecretValue'] : []);
      const webhook = statements.filter(onWebhookSecrets);
      const wanted = (op.access.secrets ?? []).flatMap((secret) => WEBHOOK_ACTIONS[secret] ?? []);
      expect(actionsOf(webhook).sort()).toEqual([...wanted].sort());
      // The canary's own secret, by its name: read only, by the canary only.
      const canary = statements.filter((s) => JSON.stringify(s.Resource).includes(':secret:latchkey/dev/canary-??????'));
      expect(actionsOf(canary), op.name).toEqual(op.access.secrets?.includes('canary') ? ['secretsmanager:GetSecretValue'] : []);
      const idp = statements.filter(onIdpSecrets);
      const wantedIdp = (op.access.secrets ?? []).flatMap((secret) => IDP_ACTIONS[secret] ?? []);
      expect(actionsOf(idp).sort(), op.name).toEqual([...wantedIdp].sort());
      // Nothing else of Secrets Manager: the pepper (read), the webhook and IDP prefixes and the canary's secret, as declared.
      // (Statements may be merged by iam:minimizePolicies, so compare the sets of actions.)
      const declared = new Set([...(pepper.length || canary.length ? ['secretsmanager:GetSecretValue'] : []), ...wanted, ...wantedIdp]);
      expect(new Set(actions.filter((a) => a.startsWith('secretsmanager:')))).toEqual(declared);
    }
  });

  it('lets only webhook callers invoke Lambda, and only the enrichment webhooks', () => {
    const webhookFunction = functions.get('enrichment-webhook')!;
    const extra = table === everyAccessOperations ? [EXTRA_WEBHOOK] : [];
    for (const { op, statements } of each) {
      const invoking = statements.filter((s) => list(s.Action).some((a: string) => a.startsWith('lambda:')));
      if (!op.access.invoke?.includes('enrichment-webhooks')) {
        expect(invoking, op.name).toEqual([]);
        continue;
      }
      expect(actionsOf(invoking)).toEqual(['lambda:InvokeFunction']);
      // The webhook lives in another nested stack: its ARN arrives through that stack's output.
      const resourcesText = JSON.stringify(invoking.flatMap((s) => list(s.Resource)));
      expect(resourcesText).toContain(webhookFunction.where.stack.node.id);
      for (const arn of extra) expect(resourcesText).toContain(arn);
      expect(invoking.flatMap((s) => list(s.Resource))).toHaveLength(1 + extra.length);
    }
  });

  it('gives operations without access nothing but their own logs and traces', () => {
    for (const { op, statements } of each.filter(({ op }) => Object.keys(op.access).length === 0)) {
      expect(actionsOf(statements).filter((a) => DATA_SERVICES.test(a))).toEqual([]);
      expect(actionsOf(statements).sort(), op.name).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('sets exactly the environment the access implies', () => {
    for (const { op, env } of each) {
      const tableAccess = op.access.table ?? (op.access.keys ? 'read' : undefined);
      expect(env[ENV.tableName], op.name).toEqual(tableAccess ? { Ref: tableId } : undefined);
      expect(env[ENV.signingMode]).toEqual(op.access.keys ? mode : undefined);
      expect(env[ENV.keyWrappingKeyId]).toEqual(mode === 'envelope' && (signs(op) || op.access.keys === 'rotate') ? getAtt(wrappingKeyId) : undefined);
      // The rotation function retires the active key in KMS mode, so it is told which one that is.
      expect(env[ENV.signingKeyId]).toEqual(mode === 'kms' && (signs(op) || op.access.keys === 'rotate') ? getAtt(activeKeyId) : undefined);
      expect(env[ENV.rsaSigningKeyId]).toEqual(mode === 'kms' && signs(op) ? getAtt(rsaKeyId) : undefined);
      expect(env[ENV.samlKeyWrappingKeyId], op.name).toEqual(usesSamlKeys(op) ? getAtt(samlWrappingKeyId) : undefined);
      expect(env[ENV.pepperSecretId]).toEqual(op.access.secrets?.includes('pepper') ? { Ref: pepperId } : undefined);
      const webhookSecrets = op.access.secrets?.some((secret) => secret.startsWith('webhook'));
      expect(env[ENV.webhookSecretPrefix]).toEqual(webhookSecrets ? 'latchkey/dev/webhook/' : undefined);
      const idpSecrets = op.access.secrets?.some((secret) => secret.startsWith('idp'));
      expect(env[ENV.idpSecretPrefix], op.name).toEqual(idpSecrets ? 'latchkey/dev/idp/' : undefined);
      const published = env[ENV.publishedKeyIds];
      if (mode === 'envelope' || !op.access.keys) expect(published).toBeUndefined();
      else expect(published).toEqual({ 'Fn::Join': [',', [...keyIds, rsaKeyId].map(getAtt)] });
    }
  });

  it('grants no kms:Verify, kms:*, * action, and names "*" as a resource only for X-Ray and for listing secret names', () => {
    const documents = everyResource(built).flatMap(({ resource }) =>
      resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy'
        ? [resource.Properties.PolicyDocument]
        : resource.Type === 'AWS::IAM::Role'
          ? (resource.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument)
          : [],
    );
    const statements = documents.flatMap((doc) => doc.Statement);
    expect(actionsOf(statements).filter((a) => /^kms:(Verify|\*)$|^\*$|:\*$/.test(a))).toEqual([]);
    const onEverything = statements.filter((s) => list(s.Resource).includes('*'));
    expect(onEverything.length).toBeGreaterThan(0);
    // ListSecrets (no resource-level permission): the run-time secrets cleanup of stages that keep no state.
    for (const statement of onEverything)
      expect([['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], ['secretsmanager:ListSecrets']]).toContainEqual(actionsOf([statement]).sort());
  });

  it('publishes the active key as the SigningKeyArn output (KMS mode) or the wrapping key (envelope mode)', () => {
    if (mode === 'kms') built.template.hasOutput('SigningKeyArn', { Value: getAtt(activeKeyId) });
    else built.template.hasOutput('KeyWrappingKeyArn', { Value: getAtt(wrappingKeyId) });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });
});

describe('route table checks', () => {
  it('rejects two operations on one route', () => {
    const twice = [...operations, { ...operations[0]!, name: 'copy' }];
    expect(() => buildStack({}, { operations: twice })).toThrow(/declared by both/);
  });
});

describe('the enrichment webhook function', () => {
  const built = buildStack({ enrichmentClaims: JSON.stringify({ '*': { '*': { tier: 'free' } } }) });
  const fn = operationFunctions(built).get('enrichment-webhook')!;

  it('is invoke-only, named by the EnrichmentWebhookFunctionArn output, and reads webhook secrets only', () => {
    const output = built.template.toJSON().Outputs.EnrichmentWebhookFunctionArn.Value;
    expect(JSON.stringify(output)).toContain(fn.where.stack.node.id);
    for (const { resource } of everyResource(built, 'AWS::ApiGatewayV2::Integration')) {
      expect(resource.Properties.IntegrationUri).not.toEqual(getAtt(fn.id));
    }
    const actions = actionsOf(functionStatements(fn)).filter((a) => DATA_SERVICES.test(a));
    expect(actions).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('takes its claims table from the enrichmentClaims context, checked at synthesis', () => {
    expect(JSON.parse(fn.env.ENRICHMENT_CLAIMS_JSON)).toEqual({ '*': { '*': { tier: 'free' } } });
    expect(() => buildStack({ enrichmentClaims: '{"app": "not claims"}' })).toThrow(/ENRICHMENT_CLAIMS_JSON must map/);
  });

  it('refuses an enrichmentLambdaArns entry that is not a Lambda function ARN', () => {
    expect(() => buildStack({ enrichmentLambdaArns: 'arn:aws:s3:::bucket' })).toThrow(/enrichmentLambdaArns: arn:aws:s3:::bucket is not a Lambda function ARN/);
  });
});
