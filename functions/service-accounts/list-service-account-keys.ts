import { listServiceAccountKeys } from '../../src/domain/service-account-keys';
import { json } from '../../src/http/handler';
import { serviceAccountKeyDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/service-accounts/{id}/keys`: the live keys, public halves only (at most ten, so one page). */
export const handler = managementHandler(async (event, caller) => json(200, await listServiceAccountKeys(serviceAccountKeyDeps(), caller, pathParameter(event, 'id'))));
