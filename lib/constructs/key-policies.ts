import { Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * KMS key policies that keep administration with the account and give the use of each key only to
 * the function roles that need it.
 *
 * Function roles live in nested stacks that are deployed after the keys, so a key policy cannot name
 * them without a dependency cycle. Instead each role's IAM path says what it may do with keys
 * (`/latchkey/<stage>/token-signer/`), and the key policies allow an action only to principals whose
 * ARN carries the matching path segment (`aws:PrincipalArn`). The principal stays the account, so an
 * identity policy must allow the action too: both the key policy and the role's own policy have to
 * agree, and no other role, user or the root user of the account can use a key.
 */

/** What a function role may do with Latchkey's keys; each capability is one segment of its IAM path. */
export type KeyCapability = 'token-signer' | 'key-rotator' | 'saml-key-maker' | 'saml-key-user';

/**
 * Administration of a key, never its use: no Sign, Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*
 * and no CreateGrant (a grant would hand out use). PutKeyPolicy stays: CloudFormation updates the
 * policy with the deployer's credentials, and an account that cannot administer its keys is locked out.
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** The encryption context that binds every wrapped signing key to its purpose. */
export const SIGNING_KEY_CONTEXT = { 'kms:EncryptionContext:latchkey:purpose': 'token-signing' } as const;

/** The encryption context that binds every wrapped SAML client key to its purpose (`src/adapters/kms-saml-keys.ts`). */
export const SAML_KEY_CONTEXT = { 'kms:EncryptionContext:latchkey:purpose': 'saml-signing' } as const;

/** IAM path of a function role (`/latchkey/<stage>/<capability>/.../`), capabilities sorted. */
export function rolePath(stage: string, capabilities: ReadonlySet<KeyCapability>): string {
  return `/latchkey/${stage}/${[...capabilities]
    .sort()
    .map((capability) => `${capability}/`)
    .join('')}`;
}

/** ARN pattern of the roles of `stage` that hold `capability`, or of every function role of the stage. */
export function roleArnPattern(scope: Construct, stage: string, capability?: KeyCapability): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:iam::${stack.account}:role/latchkey/${stage}/${capability ? `*${capability}/` : ''}*`;
}

export interface KeyUse {
  readonly actions: readonly string[];
  /** `undefined`: every function role of the stage. */
  readonly capability?: KeyCapability;
  /** Extra `StringEquals` conditions (e.g. the encryption context). */
  readonly stringEquals?: Record<string, string>;
}

/** A key policy: administration by the account, and each use to the roles that carry its capability. */
export function keyPolicy(scope: Construct, stage: string, uses: readonly KeyUse[]): PolicyDocument {
  const account = new AccountRootPrincipal();
  const policy = new PolicyDocument({
    statements: [new PolicyStatement({ sid: 'AdministerKey', principals: [account], actions: [...KEY_ADMIN_ACTIONS], resources: ['*'] })],
  });
  uses.forEach((use, index) => {
    policy.addStatements(
      new PolicyStatement({
        sid: `Use${index}${use.capability ? `By${use.capability.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase())}` : ''}`,
        principals: [account],
        actions: [...use.actions],
        resources: ['*'],
        conditions: {
          ArnLike: { 'aws:PrincipalArn': roleArnPattern(scope, stage, use.capability) },
          ...(use.stringEquals ? { StringEquals: use.stringEquals } : {}),
        },
      }),
    );
  });
  return policy;
}
