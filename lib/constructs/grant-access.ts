import { ArnFormat, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { TABLE_DESIGN } from '../../src/adapters/table-design';
import { ENV } from '../../src/config';
import type { RouteAccess } from '../routes';
import { canarySecretName } from '../secret-names';
import type { SigningMode, StateRefs } from '../state';
import { SAML_KEY_CONTEXT, SIGNING_KEY_CONTEXT, type KeyCapability } from './key-policies';

/**
 * The one place that turns a route table `access` entry into IAM grants and the environment
 * variables the handler reads (names from `src/config.ts`). A new kind of access is a new branch
 * here; an operation with `access: {}` gets nothing beyond writing its own logs.
 *
 * Every grant names its actions and resources explicitly (no `grantReadData`, `grantSign`, ...), so
 * nothing broader (Scan, stream reads, kms:Verify, ...) can slip in with a CDK upgrade. The grants
 * work on names and ARNs (`StateRefs`), so a function in a nested stack needs only string parameters.
 */
/** Functions other operations may invoke, by kind of `invoke` access. */
export interface InvokableFunctions {
  /** ARNs of the Lambda functions applications may name as enrichment webhook targets. */
  readonly enrichmentWebhooks: readonly string[];
}

/** The DynamoDB actions the adapters call: reads, and for `readwrite` conditional single-item and batch writes. */
export const TABLE_READ_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'] as const;
export const TABLE_WRITE_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The key capabilities (IAM path segments, see key-policies.ts) an access entry needs in a signing mode. */
export function keyCapabilities(access: RouteAccess, signingMode: SigningMode): Set<KeyCapability> {
  const capabilities = new Set<KeyCapability>();
  if (access.keys === 'sign') capabilities.add('token-signer');
  if (access.keys === 'rotate' && signingMode === 'envelope') capabilities.add('key-rotator');
  if (access.samlKey === 'client-keys') capabilities.add('saml-key-maker');
  if (access.samlKey === 'client-keys-use') capabilities.add('saml-key-user');
  return capabilities;
}

export function grantAccess(fn: LambdaFunction, access: RouteAccess, state: StateRefs, invokable: InvokableFunctions = { enrichmentWebhooks: [] }): void {
  const allow = (actions: readonly string[], resources: readonly string[], conditions?: Record<string, Record<string, string>>) =>
    fn.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [...resources], ...(conditions ? { conditions } : {}) }));

  // The table holds the signing keys (envelope mode) or the list of retired KMS keys (KMS mode):
  // whoever verifies or signs reads it.
  const table = access.table ?? (access.keys ? 'read' : undefined);
  if (table) {
    // The indexes by name (no `index/*` wildcard): queries on them are reads.
    const indexes = TABLE_DESIGN.indexes.map((index) => `${state.tableArn}/index/${index.name}`);
    allow(table === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS], [state.tableArn]);
    if (indexes.length > 0) allow(['dynamodb:Query'], indexes);
    fn.addEnvironment(ENV.tableName, state.tableName);
  }

  if (access.keys) {
    fn.addEnvironment(ENV.signingMode, state.signingMode);
    if (state.signingMode === 'envelope') grantEnvelopeKeys(fn, access, state, allow);
    else grantKmsKeys(fn, access, state, allow);
  }

  if (access.samlKey === 'client-keys' || access.samlKey === 'client-keys-use') {
    const actions = access.samlKey === 'client-keys' ? ['kms:GenerateDataKeyPairWithoutPlaintext', 'kms:Decrypt'] : ['kms:Decrypt'];
    allow(actions, [state.samlKeyWrappingKeyArn], { StringEquals: { ...SAML_KEY_CONTEXT } });
    fn.addEnvironment(ENV.samlKeyWrappingKeyId, state.samlKeyWrappingKeyArn);
  }

  for (const secret of access.secrets ?? []) {
    switch (secret) {
      case 'pepper':
        // The pepper is a plain string; DescribeSecret is not needed to read it.
        allow(['secretsmanager:GetSecretValue'], [state.pepperSecretArn]);
        fn.addEnvironment(ENV.pepperSecretId, state.pepperSecretArn);
        break;
      case 'webhook':
      case 'webhook-write':
        grantWebhookSecrets(fn, state, secret === 'webhook-write');
        break;
      case 'canary':
        // Created by the operator, so named, not referenced: Secrets Manager appends six characters.
        grantSecretsMatching(
          fn,
          `${canarySecretName(state.stage)}-??????`,
          ['secretsmanager:GetSecretValue'],
          'The canary secret is created by the operator, so its ARN ends in six characters unknown at deploy time; the wildcard matches exactly those six.',
        );
        fn.addEnvironment(ENV.canarySecretId, canarySecretName(state.stage));
        break;
      case 'idp':
      case 'idp-write':
        grantPrefixedSecrets(fn, state.idpSecretPrefix, ENV.idpSecretPrefix, secret === 'idp-write', 'IDP connection secrets are created at run time, one per upstream connection');
        break;
      default:
        throw new TypeError(`no secret named ${secret satisfies never} in LatchkeyState`);
    }
  }

  for (const kind of access.invoke ?? []) {
    switch (kind) {
      case 'enrichment-webhooks':
        // Exact function ARNs only: a target outside this list fails its invocation (AccessDenied),
        // which the application's webhook policy then handles like any other webhook failure.
        if (invokable.enrichmentWebhooks.length > 0) allow(['lambda:InvokeFunction'], invokable.enrichmentWebhooks);
        break;
      default:
        throw new TypeError(`no invoke access named ${kind satisfies never}`);
    }
  }
}

type Allow = (actions: readonly string[], resources: readonly string[], conditions?: Record<string, Record<string, string>>) => void;

/**
 * Envelope mode: signers decrypt the current private key (`kms:Decrypt`), the rotation function
 * creates key pairs (`kms:GenerateDataKeyPairWithoutPlaintext`), both on the key-wrapping key only
 * and only with the signing-key encryption context; verifiers need the table alone.
 */
function grantEnvelopeKeys(fn: LambdaFunction, access: RouteAccess, state: StateRefs, allow: Allow): void {
  if (!state.keyWrappingKeyArn) throw new TypeError('envelope signing needs the key-wrapping key');
  const purpose = { StringEquals: { ...SIGNING_KEY_CONTEXT } };
  if (access.keys === 'sign') allow(['kms:Decrypt'], [state.keyWrappingKeyArn], purpose);
  if (access.keys === 'rotate') allow(['kms:GenerateDataKeyPairWithoutPlaintext'], [state.keyWrappingKeyArn], purpose);
  if (access.keys !== 'verify') fn.addEnvironment(ENV.keyWrappingKeyId, state.keyWrappingKeyArn);
}

/**
 * KMS mode: every key user reads the public keys of the published keys (ECC and RSA); signers sign
 * with the published ECC keys (the active one; a standby key once the active one is retired) and the
 * RSA key. Rotation is the signingKeys/activeSigningKey context; the rotation function only retires
 * the active key, so it learns which one that is.
 */
function grantKmsKeys(fn: LambdaFunction, access: RouteAccess, state: StateRefs, allow: Allow): void {
  const published = [...state.signingKeyArns, ...(state.rsaSigningKeyArn ? [state.rsaSigningKeyArn] : [])];
  allow(['kms:GetPublicKey'], published);
  fn.addEnvironment(ENV.publishedKeyIds, Fn.join(',', published));
  if (access.keys === 'verify') return;
  if (!state.activeSigningKeyArn) throw new TypeError('KMS signing needs an active signing key');
  fn.addEnvironment(ENV.signingKeyId, state.activeSigningKeyArn);
  if (access.keys !== 'sign') return;
  allow(['kms:Sign'], [...state.signingKeyArns, ...(state.rsaSigningKeyArn ? [state.rsaSigningKeyArn] : [])]);
  if (state.rsaSigningKeyArn) fn.addEnvironment(ENV.rsaSigningKeyId, state.rsaSigningKeyArn);
}

/**
 * Webhook secrets are created at run time, one per application, under `latchkey/<stage>/webhook/`:
 * the grant is on that name prefix only. Readers (token generation, the webhook Lambda) may only
 * read values; the management operations may only create, replace and delete them, never read.
 */
function grantWebhookSecrets(fn: LambdaFunction, state: StateRefs, write: boolean): void {
  grantPrefixedSecrets(fn, state.webhookSecretPrefix, ENV.webhookSecretPrefix, write, 'Webhook secrets are created at run time, one per application');
}

/** Secrets created at run time under one name prefix: the grant is on that prefix only; writers never read, readers never write. */
function grantPrefixedSecrets(fn: LambdaFunction, prefix: string, envName: string, write: boolean, why: string): void {
  const actions = write ? ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'] : ['secretsmanager:GetSecretValue'];
  grantSecretsMatching(fn, `${prefix}*`, actions, `${why}, so their names are not known at deploy time; the wildcard covers only this stage's prefix (${prefix}).`);
  fn.addEnvironment(envName, prefix);
}

/** `actions` on the secrets whose names match `namePattern`, a wildcard that `why` acknowledges to cdk-nag. */
function grantSecretsMatching(fn: LambdaFunction, namePattern: string, actions: readonly string[], why: string): void {
  const arn = Stack.of(fn).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: namePattern, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  fn.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [arn] }));
  if (!fn.role) return;
  Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${asNagShowsIt(Stack.of(fn), arn)}]`, reason: why });
}

/**
 * An ARN as cdk-nag names it in a finding: pseudo parameters still unresolved appear as
 * `<AWS::Region>` and the like, while a stack deployed to a known account or region shows them as
 * literals. Building the name from the same ARN keeps the acknowledgement matching in both cases.
 */
export function asNagShowsIt(stack: Stack, arn: string): string {
  const pseudo: Array<[string, string]> = [
    [stack.partition, 'AWS::Partition'],
    [stack.region, 'AWS::Region'],
    [stack.account, 'AWS::AccountId'],
  ];
  let shown = arn;
  for (const [value, name] of pseudo) {
    if (Token.isUnresolved(value)) shown = shown.split(value).join(`<${name}>`);
  }
  return shown;
}
