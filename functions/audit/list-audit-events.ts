import { listAuditEvents } from '../../src/domain/audit';
import { json } from '../../src/http/handler';
import { auditReadDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { auditEventsQuery } from '../../src/http/audit-schemas';

/** `GET /v1/audit-events?limit&cursor&action&actorId&targetId&since&until`: one page, newest first; pass `cursor` back for the next. */
export const handler = managementHandler(async (event, caller) => json(200, await listAuditEvents(auditReadDeps(), caller, queryParams(event, auditEventsQuery))));
