import type middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { operations, type AuditedAction } from '../../lib/routes';
import { auditDeps } from '../composition/dependencies';
import { auditActorOf, recordAuditEvent, recordFailedClientAuthentication, type AuditDraft, type AuditEvent } from '../domain/audit';
import { handleId } from '../domain/login/handles';
import { ServiceUnavailable } from '../domain/errors';
import { callerOf, changedFieldsOf } from './audit-context';
import { toLatchkeyError } from './error-mapping';
import type { HttpEvent, HttpResult } from './handler';
import { logger } from '../adapters/observability';
import { clientAddress, header } from './request';

/**
 * The audit trail of the HTTP API. Every operation the route table declares an audit action for
 * (`AUDITED` in lib/routes.ts) writes one event after its domain call, from this one middleware:
 * - on success, before the answer leaves: if the event cannot be written, the answer is 503
 *   instead (the change stands; its event does not exist, so the client is told to retry). The
 *   table offers no transaction across the change and the event (and the embedded DynamoDB none at
 *   all), so this is what makes "an answered change always has its event" hold: an answer other
 *   than 503 is only ever sent after its event was stored.
 * - on a failure after the caller was authenticated: an event with the error code. A request whose
 *   token was refused has no actor and no environment to file it under; its 401 is logged and counted.
 * The actor is the authenticated caller, the target comes from the declaration (a path parameter,
 * the answer's ID, or the environment), and `changedFields` are the names of the fields the
 * validated body set. No value of the body or the answer is ever read into an event.
 *
 * Each stored event is also logged as one JSON line with `"audit": true`, for CloudWatch Logs
 * Insights and SIEM export (docs/operations.md).
 */

const declarations = new Map<string, AuditedAction>();
for (const operation of operations) {
  const audit = operation.audit;
  if (!audit || 'exempt' in audit) continue;
  for (const route of operation.routes) if (route.method !== 'ANY') declarations.set(`${route.method} ${route.path}`, audit);
}

/** A user agent is the client's to choose: stored, but never longer than this. */
const MAX_USER_AGENT = 512;

/**
 * Audit lines are written whatever the function's log level, except when logging is off entirely
 * (`SILENT`, as in the tests): an operator who quiets INFO logs still keeps the audit trail.
 */
const auditLogger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'latchkey',
  logLevel: process.env.POWERTOOLS_LOG_LEVEL?.toUpperCase() === 'SILENT' ? 'SILENT' : 'INFO',
});

/** One structured line per stored event. */
function logAuditEvent(event: AuditEvent): void {
  auditLogger.info(`audit ${event.action} ${event.outcome}`, { audit: true, ...event });
}

/** Stores one event (in the environment's chain unless `chain` names another) and logs it as stored. */
export async function recordAndLogAuditEvent(draft: AuditDraft, chain?: string): Promise<void> {
  logAuditEvent(await recordAuditEvent(auditDeps(), draft, chain));
}

const unwritten = new WeakSet<object>();

/** The middleware of the management stack (`managementHandler`); a route without an audit declaration costs one map lookup. */
export function auditTrail(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    after: async (request) => {
      const declaration = declarations.get(request.event.routeKey);
      const caller = declaration && callerOf(request.event);
      if (!declaration || !caller) return;
      try {
        await record(request.event, declaration, { outcome: 'success' }, request.response ?? undefined);
      } catch (cause) {
        const error = new ServiceUnavailable('the change was made but its audit event could not be written', 5, cause);
        unwritten.add(error);
        throw error;
      }
    },
    onError: async (request) => {
      const declaration = declarations.get(request.event.routeKey);
      if (!declaration || !callerOf(request.event) || unwritten.has(request.error as object)) return;
      try {
        await record(request.event, declaration, { outcome: 'failure', errorCode: toLatchkeyError(request.error).code });
      } catch (cause) {
        // No refusal is answered without its event either.
        logger.error('audit event of a refused change not written', { error: cause as Error });
        request.error = new ServiceUnavailable('the audit event of this request could not be written', 5, cause);
      }
    },
  };
}

async function record(event: HttpEvent, declaration: AuditedAction, outcome: Pick<AuditDraft, 'outcome' | 'errorCode'>, response?: HttpResult): Promise<void> {
  const caller = callerOf(event)!;
  const changedFields = changedFieldsOf(event);
  const targetId = targetIdOf(event, declaration, caller.environmentId, response);
  await recordAndLogAuditEvent({
    tenantId: caller.tenantId,
    environmentId: caller.environmentId,
    actor: auditActorOf(caller),
    action: declaration.action,
    target: { type: declaration.target.type, ...(targetId ? { id: targetId } : {}) },
    ...outcome,
    ...requestOrigin(event),
    ...(changedFields && changedFields.length > 0 ? { changedFields } : {}),
  });
}

/** Where the request came from: the client's address (`clientAddress`), its user agent, API Gateway's request ID. */
export function requestOrigin(event: HttpEvent): Pick<AuditDraft, 'sourceIp' | 'userAgent' | 'requestId'> {
  const userAgent = header(event, 'user-agent');
  const sourceIp = clientAddress(event);
  const requestId = event.requestContext?.requestId;
  return {
    ...(sourceIp ? { sourceIp } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

function targetIdOf(event: HttpEvent, declaration: AuditedAction, environmentId: string, response?: HttpResult): string | undefined {
  const source = declaration.target.id;
  if (source === 'environment') return environmentId;
  const [kind, name = ''] = source.split(':');
  if (kind === 'path') return event.pathParameters?.[name];
  if (kind === 'handle') return handleId(event.pathParameters?.[name]);
  // answer: only the named ID field of a JSON answer is read, never anything else of it.
  if (!response?.body) return undefined;
  try {
    const value = (JSON.parse(response.body) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The event of a failed client authentication the throttle evaluated (src/http/client-authentication.ts).
 * Its answer (401) stands whether or not the event could be stored: the client did not authenticate,
 * and an outage of the audit log must not turn that into another answer; a missing event is logged.
 */
export async function auditFailedClientAuthentication(event: HttpEvent, clientId: string, errorCode: string): Promise<void> {
  try {
    const stored = await recordFailedClientAuthentication(auditDeps(), { clientId, errorCode, ...requestOrigin(event) });
    if (stored) logAuditEvent(stored);
  } catch (error) {
    logger.error('audit event of a failed client authentication not written', { clientId, error: error as Error });
  }
}
