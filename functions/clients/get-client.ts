import { getOidcClient } from '../../src/domain/clients/oidc-clients';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}/clients/{clientId}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getOidcClient(clientRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'))),
);
