import { idpConnectionDeps } from '../../src/composition/dependencies';
import { getIdpConnection } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/idp-connections/{id}` */
export const handler = managementHandler(async (event, caller) => json(200, await getIdpConnection(idpConnectionDeps(), caller, pathParameter(event, 'id'))));
