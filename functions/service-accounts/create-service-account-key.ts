import { createServiceAccountKey } from '../../src/domain/service-account-keys';
import { json } from '../../src/http/handler';
import { serviceAccountKeyDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { createServiceAccountKeyBody } from '../../src/http/management-schemas';

/** `POST /v1/service-accounts/{id}/keys`: a key Latchkey makes comes with its key file, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createServiceAccountKey(serviceAccountKeyDeps(), caller, pathParameter(event, 'id'), jsonBody(event, createServiceAccountKeyBody, { optional: true }))),
);
