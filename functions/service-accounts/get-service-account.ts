import { getServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/service-accounts/{id}` */
export const handler = managementHandler(async (event, caller) => json(200, await getServiceAccount(serviceAccountDeps(), caller, pathParameter(event, 'id'))));
