import { updateServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { updateServiceAccountBody } from '../../src/http/management-schemas';

/** `PATCH /v1/service-accounts/{id}`: rename, describe, disable or enable. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateServiceAccount(serviceAccountDeps(), caller, pathParameter(event, 'id'), jsonBody(event, updateServiceAccountBody))),
);
