import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { auditDeps, bootstrapDeps } from '../../src/composition/dependencies';
import { recordAuditEvent } from '../../src/domain/audit';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import { logAuditEvent } from '../../src/http/audit';
import { isId } from '../../src/domain/ids';
import { logger } from '../../src/http/observability';
import { validate } from '../../src/http/request';
import { name } from '../../src/http/schemas';

/**
 * Creates a tenant (or adds to an existing one), an environment and its first administrator
 * in a deployed stack. Not on the HTTP API: the route table gives it no route, so only a principal
 * allowed `lambda:InvokeFunction` on it (an operator running `npm run create-tenant`) can call it.
 *
 * Rules:
 * - The input is validated strictly before anything is written; a refusal is an error result
 *   (`errorType` InvalidRequest) whose message names the offending field.
 * - The administrator's secret is in the answer only: never logged, never stored in clear.
 * - The new environment's audit log opens with the bootstrap (actor `system`, target the environment,
 *   its first administrator named), before the answer.
 */

const input = z.strictObject({
  tenantName: name,
  tenantId: z.optional(z.string().check(z.refine((value) => isId(value, 'ten'), 'must be a tenant ID: "ten_" and 26 characters a-z, 2-7'))),
  environmentName: name,
  adminName: z.optional(name),
});

export type BootstrapEvent = z.input<typeof input>;

export interface BootstrapResult {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly clientId: string;
  /** Shown here once; Latchkey keeps only a keyed hash of it. */
  readonly clientSecret: string;
}

const deps = bootstrapDeps();

async function bootstrap(event: unknown): Promise<BootstrapResult> {
  const request = validate(input, event, 'bootstrap input');
  const { tenant, environment, admin } = await bootstrapEnvironment(deps, request);
  logger.info('environment bootstrapped', { tenantId: tenant.id, environmentId: environment.id, adminId: admin.id });
  const opened = await recordAuditEvent(auditDeps(), {
    tenantId: tenant.id,
    environmentId: environment.id,
    actor: { type: 'system' },
    action: 'environment.bootstrapped',
    target: { type: 'environment', id: environment.id },
    outcome: 'success',
    changedFields: Object.keys(request).sort(),
  });
  logAuditEvent(opened);
  return { tenantId: tenant.id, environmentId: environment.id, clientId: admin.clientId, clientSecret: admin.clientSecret };
}

export const handler = middy<unknown, BootstrapResult, Error, Context>(bootstrap).use(injectLambdaContext(logger, { resetKeys: true }));
