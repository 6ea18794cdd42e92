import { verifyAuditChain } from '../../src/domain/audit';
import { json } from '../../src/http/handler';
import { auditReadDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { verifyAuditChainQuery } from '../../src/http/audit-schemas';

/** `GET /v1/audit-events/verify?cursor`: whether the environment's audit chain is whole, and where it breaks; a long chain in several calls. */
export const handler = managementHandler(async (event, caller) => json(200, await verifyAuditChain(auditReadDeps(), caller, queryParams(event, verifyAuditChainQuery))));
