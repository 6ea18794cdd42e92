import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { bootstrapDeps } from '../../src/composition/dependencies';
import { bootstrapEnvironment, grantManagementPermissions } from '../../src/domain/bootstrap';
import { MANAGEMENT_PERMISSIONS, managementPermissionsOf } from '../../src/domain/builtin-resource';
import { isId, parseClientId } from '../../src/domain/ids';
import { recordAndLogAuditEvent } from '../../src/http/audit';
import { logger } from '../../src/http/observability';
import { validate } from '../../src/http/request';
import { name } from '../../src/http/schemas';

/**
 * Creates a tenant (or adds to an existing one), an environment and its first administrator
 * in a deployed stack. Not on the HTTP API: the route table gives it no route, so only a principal
 * allowed `lambda:InvokeFunction` on it (an operator running `npm run create-tenant`) can call it.
 *
 * With `{"action": "grant-management-permissions", "clientId": "sa_…@env_…"}` it gives an existing
 * service account every built-in management permission instead (or those `permissions` names):
 * after an upgrade that adds one, nobody holds it, and nobody may grant what they do not hold.
 *
 * Rules:
 * - The input is validated strictly before anything is written; a refusal is an error result
 *   (`errorType` InvalidRequest) whose message names the offending field.
 * - The administrator's secret is in the answer only: never logged, never stored in clear.
 * - The new environment's audit log opens with the bootstrap (actor `system`, target the environment,
 *   its first administrator named), before the answer.
 * - Granting leaves an audit event in the environment's chain (actor `system`), before the answer.
 * - Granting adds built-in permissions only: the account's grants on customer resources, its
 *   secret and its tokens stay as they are.
 */

const input = z.strictObject({
  tenantName: name,
  tenantId: z.optional(z.string().check(z.refine((value) => isId(value, 'ten'), 'must be a tenant ID: "ten_" and 26 characters a-z, 2-7'))),
  environmentName: name,
  adminName: z.optional(name),
});

export const GRANT_MANAGEMENT_PERMISSIONS = 'grant-management-permissions';

const grantInput = z.strictObject({
  action: z.literal(GRANT_MANAGEMENT_PERMISSIONS),
  clientId: z.string().check(z.refine((value) => parseClientId(value)?.principalId.startsWith('sa_') === true, 'must be a service account client ID: sa_…@env_…')),
  permissions: z.optional(z.array(z.enum(MANAGEMENT_PERMISSIONS)).check(z.minLength(1, 'must name at least one permission'))),
});

export type BootstrapEvent = z.input<typeof input> | z.input<typeof grantInput>;

export interface BootstrapResult {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly clientId: string;
  /** Shown here once; Latchkey keeps only a keyed hash of it. */
  readonly clientSecret: string;
}

export interface GrantManagementResult {
  readonly environmentId: string;
  readonly clientId: string;
  /** The permissions this call added; empty when the account held them all. */
  readonly added: readonly string[];
  /** The account's built-in permissions now. */
  readonly permissions: readonly string[];
}

async function bootstrap(event: unknown): Promise<BootstrapResult | GrantManagementResult> {
  if ((event as { action?: unknown } | null)?.action !== undefined) return grant(event);
  const request = validate(input, event, 'bootstrap input');
  const { tenant, environment, admin } = await bootstrapEnvironment(bootstrapDeps(), request);
  logger.info('environment bootstrapped', { tenantId: tenant.id, environmentId: environment.id, adminId: admin.id });
  await recordAndLogAuditEvent({
    tenantId: tenant.id,
    environmentId: environment.id,
    actor: { type: 'system' },
    action: 'environment.bootstrapped',
    target: { type: 'environment', id: environment.id },
    outcome: 'success',
    changedFields: Object.keys(request).sort(),
  });
  return { tenantId: tenant.id, environmentId: environment.id, clientId: admin.clientId, clientSecret: admin.clientSecret };
}

async function grant(event: unknown): Promise<GrantManagementResult> {
  const request = validate(grantInput, event, 'grant input');
  const { principalId, environmentId } = parseClientId(request.clientId)!;
  const { account, added } = await grantManagementPermissions(bootstrapDeps(), {
    environmentId,
    accountId: principalId,
    ...(request.permissions ? { permissions: request.permissions } : {}),
  });
  const permissions = managementPermissionsOf(account.grants);
  // A warning: a break-glass change of who may administer the environment, for the log's readers.
  logger.warn('management permissions granted by an operator', { environmentId, accountId: principalId, added, permissions });
  await recordAndLogAuditEvent({
    tenantId: account.tenantId,
    environmentId,
    actor: { type: 'system' },
    action: 'service_account.management_permissions_granted',
    target: { type: 'service_account', id: principalId },
    outcome: 'success',
    changedFields: added.length > 0 ? ['grants'] : [],
  });
  return { environmentId, clientId: request.clientId, added, permissions };
}

export const handler = middy<unknown, BootstrapResult | GrantManagementResult, Error, Context>(bootstrap).use(injectLambdaContext(logger, { resetKeys: true }));
