import { createServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { createServiceAccountBody } from '../../src/http/management-schemas';

/** `POST /v1/service-accounts`: the answer carries the client secret, the only time it is shown. */
export const handler = managementHandler(async (event, caller) => json(201, await createServiceAccount(serviceAccountDeps(), caller, jsonBody(event, createServiceAccountBody))));
