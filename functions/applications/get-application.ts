import { applicationDeps } from '../../src/composition/dependencies';
import { getApplication } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}` */
export const handler = managementHandler(async (event, caller) => json(200, await getApplication(applicationDeps(), caller, pathParameter(event, 'id'))));
