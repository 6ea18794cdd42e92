import { idpConnectionDeps } from '../../src/composition/dependencies';
import { updateIdpConnection } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { updateIdpConnectionBody } from '../../src/http/management-schemas';

/** `PATCH /v1/idp-connections/{id}`: rename, enable or disable, and replace the assigned applications. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateIdpConnection(idpConnectionDeps(), caller, pathParameter(event, 'id'), jsonBody(event, updateIdpConnectionBody))),
);
