import { describe, expect, it } from 'vitest';
import { operations, signs, type Operation } from '../../lib/routes';
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

// The real route table in a single-key stage, and a table with every kind of access during a
// key rotation (two published keys, the newer one active).
const stages: [string, Built, readonly Operation[], string[], string][] = [
  ['the route table', buildStack(), operations, ['primary'], 'primary'],
  [
    'every kind of access, mid-rotation',
    buildStack({ signingKeys: 'old,new', activeSigningKey: 'new' }, { operations: everyAccessOperations }),
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
  const tableId = ofType(resources, 'AWS::DynamoDB::Table')[0]![0];
  const pepperId = ofType(resources, 'AWS::SecretsManager::Secret')[0]![0];
  const each = table.map((op) => {
    const fn = functions.get(op.name)!.resource;
    return { op, env: fn.Properties.Environment.Variables, statements: functionStatements(resources, fn) };
  });

  it('has one function per operation', () => {
    expect([...functions.keys()].sort()).toEqual(table.map((op) => op.name).sort());
  });

  it('lets only signers sign, and only with the active key', () => {
    for (const { op, statements } of each) {
      const signing = statements.filter((s) => list(s.Action).includes('kms:Sign'));
      expect(signing.length > 0).toBe(signs(op));
      // Statements may be merged (iam:minimizePolicies), so check what every kms:Sign applies to.
      for (const statement of signing) expect(list(statement.Resource)).toEqual([getAtt(activeKeyId)]);
    }
  });

  it('lets key users read the public key of every published key', () => {
    for (const { op, statements } of each) {
      const reading = statements.filter((s) => list(s.Action).includes('kms:GetPublicKey'));
      const resources = reading.flatMap((s) => list<Json>(s.Resource).map((r) => r['Fn::GetAtt'][0]));
      expect(resources.sort()).toEqual(op.access.keys ? [...keyIds].sort() : []);
    }
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
      expect(actions.filter((a) => a.startsWith('secretsmanager:')).length).toBe(pepper.length ? 2 : 0);
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
      expect(env[ENV.pepperSecretId]).toEqual(op.access.secrets?.includes('pepper') ? { Ref: pepperId } : undefined);
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
    template.resourceCountIs('AWS::KMS::Key', 2);
  });
});

describe('route table checks', () => {
  it('rejects two operations on one route', () => {
    const twice = [...operations, { ...operations[0]!, name: 'copy' }];
    expect(() => buildStack({}, { operations: twice })).toThrow(/declared by both/);
  });
});
