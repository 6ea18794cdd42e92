import { setPermissions } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { grants } from '../../src/http/schemas';

/** `PUT /v1/service-accounts/{id}/permissions`: replaces every grant of the account. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await setPermissions(serviceAccountDeps(), caller, pathParameter(event, 'id'), jsonBody(event, grants))),
);
