import { getServiceAccountKey } from '../../src/domain/service-account-keys';
import { json } from '../../src/http/handler';
import { serviceAccountKeyDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/service-accounts/{id}/keys/{keyId}`: the public half only. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getServiceAccountKey(serviceAccountKeyDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'keyId'))),
);
