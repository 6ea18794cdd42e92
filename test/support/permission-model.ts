import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * A model of one service account's permissions, and random sequences of what an administrator can
 * do to them, for property tests that run the sequences against the real rules (the domain with
 * the in-memory store, or the local runtime over HTTP) and compare after every step:
 * - an earlier-issued JWT or PAT works on the management API exactly when the account holds the
 *   permission now and no revoking reset came after the token;
 * - a new token for the customer resource carries exactly the permissions the model says.
 */

export const MANAGEMENT = ['SERVICE_ACCOUNTS_READ', 'RESOURCES_READ'] as const;
export type ManagementCheck = (typeof MANAGEMENT)[number];
const CUSTOMER = ['r', 'w', 'x'] as const;

export type Step =
  | { readonly kind: 'grant'; readonly management: readonly ManagementCheck[]; readonly customer: readonly string[] }
  | { readonly kind: 'redefine'; readonly permissions: readonly string[] }
  | { readonly kind: 'delete-resource' }
  | { readonly kind: 'create-resource'; readonly permissions: readonly string[] }
  | { readonly kind: 'reset'; readonly revokeTokens: boolean }
  | { readonly kind: 'issue-jwt' }
  | { readonly kind: 'issue-pat' }
  | { readonly kind: 'wait'; readonly seconds: number };

/** What the system under test must offer; one harness per variant. */
export interface PermissionHarness<Token> {
  setGrants(management: readonly string[], customer: readonly string[]): Promise<void>;
  redefineResource(permissions: readonly string[]): Promise<void>;
  deleteResource(): Promise<void>;
  createResource(permissions: readonly string[]): Promise<void>;
  resetSecret(revokeTokens: boolean): Promise<void>;
  issueJwt(): Promise<Token>;
  issuePat(): Promise<Token>;
  /** Whether a management call needing `permission` succeeds with the token. */
  mayCall(token: Token, permission: ManagementCheck): Promise<boolean>;
  /** The customer permissions of a token issued now for the resource; undefined when it does not exist. */
  newTokenPermissions(): Promise<readonly string[] | undefined>;
  /** Moves the clock on (a no-op where the clock is real). */
  wait(seconds: number): void;
}

const subset = <T>(values: readonly T[]) => fc.subarray([...values]);

export const steps = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('grant' as const), management: subset(MANAGEMENT), customer: subset(CUSTOMER) }),
    fc.record({ kind: fc.constant('redefine' as const), permissions: subset(CUSTOMER) }),
    fc.constant({ kind: 'delete-resource' as const }),
    fc.record({ kind: fc.constant('create-resource' as const), permissions: subset(CUSTOMER) }),
    fc.record({ kind: fc.constant('reset' as const), revokeTokens: fc.boolean() }),
    fc.constant({ kind: 'issue-jwt' as const }),
    fc.constant({ kind: 'issue-pat' as const }),
    fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 0, max: 2 }) }),
  ),
  { minLength: 1, maxLength: 12 },
);

/** Runs the steps against the harness and checks it against the model after each one. */
export async function checkAgainstModel<Token>(harness: PermissionHarness<Token>, sequence: readonly Step[]): Promise<void> {
  let management = new Set<string>();
  let customer = new Set<string>();
  let defined: Set<string> | undefined = new Set(['r', 'w', 'x']);
  const tokens: { token: Token; revoked: boolean; label: string }[] = [];

  for (const [index, step] of sequence.entries()) {
    switch (step.kind) {
      case 'grant': {
        const granted = defined ? step.customer.filter((permission) => defined!.has(permission)) : [];
        await harness.setGrants(step.management, granted);
        management = new Set(step.management);
        customer = new Set(granted);
        break;
      }
      case 'redefine':
        if (!defined) continue;
        await harness.redefineResource(step.permissions);
        // A permission dropped from the definition is gone from the grant for good, even if defined again later.
        customer = new Set([...customer].filter((permission) => step.permissions.includes(permission)));
        defined = new Set(step.permissions);
        break;
      case 'delete-resource':
        if (!defined) continue;
        await harness.deleteResource();
        defined = undefined;
        customer = new Set();
        break;
      case 'create-resource':
        if (defined) continue;
        await harness.createResource(step.permissions);
        defined = new Set(step.permissions);
        break;
      case 'reset':
        await harness.resetSecret(step.revokeTokens);
        if (step.revokeTokens) for (const token of tokens) token.revoked = true;
        break;
      case 'issue-jwt':
        tokens.push({ token: await harness.issueJwt(), revoked: false, label: `JWT of step ${index}` });
        break;
      case 'issue-pat':
        tokens.push({ token: await harness.issuePat(), revoked: false, label: `PAT of step ${index}` });
        break;
      case 'wait':
        harness.wait(step.seconds);
        break;
    }
    for (const { token, revoked, label } of tokens) {
      for (const permission of MANAGEMENT) {
        const expected = !revoked && management.has(permission);
        expect(await harness.mayCall(token, permission), `${label} calling with ${permission} after step ${index} (${step.kind})`).toBe(expected);
      }
    }
    const issued = await harness.newTokenPermissions();
    expect(issued === undefined ? undefined : [...issued].sort(), `new token after step ${index} (${step.kind})`).toEqual(defined ? [...customer].sort() : undefined);
  }
}
