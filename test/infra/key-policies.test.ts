import { describe, expect, it } from 'vitest';
import { KEY_ADMIN_ACTIONS } from '../../lib/constructs/key-policies';
import {
  actionsOf,
  buildStack,
  ENVELOPE_EVERY_ACCESS,
  everyAccessOperations,
  functionRole,
  functionStatements,
  keyIdByAlias,
  KMS_EVERY_ACCESS,
  list,
  nagFindings,
  operationFunctions,
  ofType,
  type Built,
  type Json,
} from './build-stack';

const USE = /^kms:(Sign|Verify|Decrypt|Encrypt|ReEncrypt.*|GenerateDataKey.*|GenerateMac|VerifyMac|CreateGrant|DeriveSharedSecret|\*)$/;
const account = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };

/** IAM's ArnLike: `*` and `?` are wildcards, everything else is literal. */
function arnLike(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}
/** A role's ARN as the key policy condition sees it. */
const roleArn = (path: string, name = 'Latchkey-dev-SomeArea-tokenRole-ABC123') => `arn:aws:iam::111111111111:role${path}${name}`;
/** The ArnLike pattern of a statement, pseudo parameters as literals. */
function patternOf(statement: Json): string {
  const value = statement.Condition.ArnLike['aws:PrincipalArn'];
  const parts: Json[] = typeof value === 'string' ? [value] : value['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : p.Ref === 'AWS::Partition' ? 'aws' : p.Ref === 'AWS::AccountId' ? '111111111111' : '?')).join('');
}

const envelope = buildStack(...ENVELOPE_EVERY_ACCESS);
const kms = buildStack(...KMS_EVERY_ACCESS);

function keyPolicy(built: Built, alias: string): Json[] {
  return built.resources[keyIdByAlias(built.resources, alias)].Properties.KeyPolicy.Statement;
}

/** Roles (by operation) whose ARN the key policy lets use `action`, and those whose IAM policy allows it on that key. */
function users(built: Built, alias: string, action: string) {
  const keyId = keyIdByAlias(built.resources, alias);
  const statements = keyPolicy(built, alias).filter((s) => list(s.Action).includes(action));
  const byKeyPolicy: string[] = [];
  const byIam: string[] = [];
  for (const [name, fn] of operationFunctions(built)) {
    const arn = roleArn(functionRole(fn).Properties.Path);
    if (statements.some((s) => arnLike(patternOf(s), arn))) byKeyPolicy.push(name);
    if (functionStatements(fn).some((s) => list(s.Action).includes(action) && list<Json>(s.Resource).some((r) => r['Fn::GetAtt']?.[0] === keyId))) byIam.push(name);
  }
  return { byKeyPolicy: byKeyPolicy.sort(), byIam: byIam.sort() };
}

describe.each([
  ['envelope mode', envelope, ['alias/latchkey-dev-key-wrapping', 'alias/latchkey-dev-saml-key-wrapping', 'alias/latchkey-dev-alarms']],
  [
    'KMS mode',
    kms,
    ['alias/latchkey-dev-signing-old', 'alias/latchkey-dev-signing-new', 'alias/latchkey-dev-signing-rsa', 'alias/latchkey-dev-saml-key-wrapping', 'alias/latchkey-dev-alarms'],
  ],
])('key policies, %s', (_mode, built, aliases) => {
  it('covers every key of the stack', () => {
    expect(ofType(built.resources, 'AWS::KMS::Key')).toHaveLength(aliases.length);
  });

  it('leaves no unacknowledged cdk-nag finding, the rotation function and its schedule included', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it.each(aliases)('%s: the account administers the key but cannot use it', (alias) => {
    const statements = keyPolicy(built, alias);
    const admin = statements.filter((s) => !s.Condition);
    expect(admin.map((s) => s.Principal.AWS)).toEqual([account]);
    expect(list(admin[0]!.Action).sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
    expect(actionsOf(admin).filter((a) => USE.test(a))).toEqual([]);
    // Every other statement is conditioned on the role path (or, for the alarm topic, the CloudWatch service).
    for (const statement of statements.filter((s) => s.Condition)) {
      if (statement.Principal.Service) {
        expect(statement.Principal.Service).toBe('cloudwatch.amazonaws.com');
        expect(alias).toBe('alias/latchkey-dev-alarms');
        expect(statement.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      } else {
        expect(statement.Principal.AWS).toEqual(account);
        expect(patternOf(statement)).toMatch(/^arn:aws:iam::111111111111:role\/latchkey\/dev\//);
      }
    }
    expect(statements.some((s) => list(s.Action).includes('kms:*'))).toBe(false);
  });
});

describe('who may use which key', () => {
  it('envelope: only token signers decrypt with the wrapping key, only the rotation generates key pairs, both for token signing only', () => {
    const decrypt = users(envelope, 'alias/latchkey-dev-key-wrapping', 'kms:Decrypt');
    expect(decrypt.byKeyPolicy).toEqual(decrypt.byIam);
    expect(decrypt.byIam).toEqual(
      everyAccessOperations
        .filter((op) => op.access.keys === 'sign')
        .map((op) => op.name)
        .sort(),
    );
    const generate = users(envelope, 'alias/latchkey-dev-key-wrapping', 'kms:GenerateDataKeyPairWithoutPlaintext');
    expect(generate.byKeyPolicy).toEqual(['rotate-signing-keys']);
    expect(generate.byIam).toEqual(['rotate-signing-keys']);
    for (const statement of keyPolicy(envelope, 'alias/latchkey-dev-key-wrapping').filter((s) => s.Condition)) {
      expect(statement.Condition.StringEquals).toEqual({ 'kms:EncryptionContext:latchkey:purpose': 'token-signing' });
    }
  });

  it('KMS mode: only token signers sign, with the published keys (active and standby, for a retirement without a deploy) and the RSA key', () => {
    const signers = everyAccessOperations
      .filter((op) => op.access.keys === 'sign')
      .map((op) => op.name)
      .sort();
    for (const alias of ['alias/latchkey-dev-signing-new', 'alias/latchkey-dev-signing-old', 'alias/latchkey-dev-signing-rsa']) {
      const sign = users(kms, alias, 'kms:Sign');
      expect(sign.byKeyPolicy, alias).toEqual(signers);
      expect(sign.byIam, alias).toEqual(signers);
    }
  });

  it('refuses roles that merely look alike: another stage, or a capability as a name suffix', () => {
    const [statement] = keyPolicy(envelope, 'alias/latchkey-dev-key-wrapping').filter((s) => list(s.Action).includes('kms:Decrypt'));
    const pattern = patternOf(statement);
    expect(arnLike(pattern, roleArn('/latchkey/dev/token-signer/'))).toBe(true);
    expect(arnLike(pattern, roleArn('/latchkey/dev/saml-key-user/token-signer/'))).toBe(true);
    expect(arnLike(pattern, roleArn('/latchkey/prod/token-signer/'))).toBe(false);
    expect(arnLike(pattern, roleArn('/latchkey/dev2/token-signer/'))).toBe(false);
    expect(arnLike(pattern, roleArn('/latchkey/dev/', 'token-signer'))).toBe(false);
    expect(arnLike(pattern, roleArn('/latchkey/dev/key-rotator/'))).toBe(false);
    expect(arnLike(pattern, roleArn('/'))).toBe(false);
  });
});
