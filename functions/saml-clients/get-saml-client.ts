import { getSamlClient } from '../../src/domain/clients/saml-clients';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}/saml-clients/{clientId}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getSamlClient(samlRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'))),
);
