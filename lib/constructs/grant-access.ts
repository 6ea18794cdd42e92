import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
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
export function grantAccess(fn: LambdaFunction, access: RouteAccess, state: LatchkeyState): void {
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

  for (const secret of access.secrets ?? []) {
    switch (secret) {
      case 'pepper':
        state.pepper.grantRead(fn);
        fn.addEnvironment(ENV.pepperSecretId, state.pepper.secretArn);
        break;
      default:
        throw new TypeError(`no secret named ${secret satisfies never} in LatchkeyState`);
    }
  }
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
