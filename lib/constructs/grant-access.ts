import { ArnFormat, Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../src/config';
import type { RouteAccess } from '../routes';
import type { LatchkeyState } from '../state';

/**
 * The one place that turns a route table `access` entry into IAM grants and the environment
 * variables the handler reads (names from `src/config.ts`). A new kind of access is a new branch
 * here; an operation with `access: {}` gets nothing beyond writing its own logs.
 *
 * KMS grants name their actions explicitly (`key.grant(fn, 'kms:Sign')`) rather than using helpers
 * like `grantSign`, so nothing broader (kms:Verify, kms:Decrypt, ...) can slip in with a CDK upgrade.
 */
/** Functions other operations may invoke, by kind of `invoke` access. */
export interface InvokableFunctions {
  /** ARNs of the Lambda functions applications may name as enrichment webhook targets. */
  readonly enrichmentWebhooks: readonly string[];
}

export function grantAccess(fn: LambdaFunction, access: RouteAccess, state: LatchkeyState, invokable: InvokableFunctions = { enrichmentWebhooks: [] }): void {
  if (access.table) {
    if (access.table === 'read') state.table.grantReadData(fn);
    else state.table.grantReadWriteData(fn);
    fn.addEnvironment(ENV.tableName, state.table.tableName);
    acknowledgeTableIndexWildcard(fn, state);
  }

  if (access.keys) {
    for (const { key } of state.signingKeys) key.grant(fn, 'kms:GetPublicKey');
    fn.addEnvironment(ENV.publishedKeyIds, state.signingKeys.map(({ key }) => key.keyArn).join(','));
  }
  if (access.keys === 'sign') {
    state.activeSigningKey.key.grant(fn, 'kms:Sign');
    fn.addEnvironment(ENV.signingKeyId, state.activeSigningKey.key.keyArn);
  }

  if (access.samlKey === 'sign') {
    state.samlSigningKey.grant(fn, 'kms:GetPublicKey', 'kms:Sign');
    fn.addEnvironment(ENV.samlSigningKeyId, state.samlSigningKey.keyArn);
  }

  for (const secret of access.secrets ?? []) {
    switch (secret) {
      case 'pepper':
        state.pepper.grantRead(fn);
        fn.addEnvironment(ENV.pepperSecretId, state.pepper.secretArn);
        break;
      case 'webhook':
      case 'webhook-write':
        grantWebhookSecrets(fn, state, secret === 'webhook-write');
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
        if (invokable.enrichmentWebhooks.length > 0) {
          fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [...invokable.enrichmentWebhooks] }));
        }
        break;
      default:
        throw new TypeError(`no invoke access named ${kind satisfies never}`);
    }
  }
}

/**
 * Webhook secrets are created at run time, one per application, under `latchkey/<stage>/webhook/`:
 * the grant is on that name prefix only. Readers (token generation, the webhook Lambda) may only
 * read values; the management operations may only create, replace and delete them, never read.
 */
function grantWebhookSecrets(fn: LambdaFunction, state: LatchkeyState, write: boolean): void {
  const prefixArn = Stack.of(fn).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${state.webhookSecretPrefix}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: write ? ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret'] : ['secretsmanager:GetSecretValue'],
      resources: [prefixArn],
    }),
  );
  fn.addEnvironment(ENV.webhookSecretPrefix, state.webhookSecretPrefix);
  if (!fn.role) return;
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${asNagShowsIt(Stack.of(fn), prefixArn)}]`,
    reason:
      'Webhook secrets are created at run time, one per application, so their names are not known at deploy ' +
      "time; the wildcard covers only this stage's webhook secret prefix.",
  });
}

/**
 * The DynamoDB grant helpers also grant `<table ARN>/index/*` (the table's GSIs), which cdk-nag
 * reports as a wildcard. Acknowledged for exactly that resource, so any other wildcard still fails.
 */
function acknowledgeTableIndexWildcard(fn: LambdaFunction, state: LatchkeyState): void {
  if (!fn.role) return;
  const table = state.table.node.defaultChild as CfnElement;
  const tableLogicalId = Stack.of(table).getLogicalId(table);
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
    reason:
      "Queries on the Latchkey table's global secondary indexes need its index ARNs; the wildcard " +
      'covers only the indexes of that one table.',
  });
}

/**
 * An ARN as cdk-nag names it in a finding: pseudo parameters still unresolved appear as
 * `<AWS::Region>` and the like, while a stack deployed to a known account or region shows them as
 * literals. Building the name from the same ARN keeps the acknowledgement matching in both cases.
 */
function asNagShowsIt(stack: Stack, arn: string): string {
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
