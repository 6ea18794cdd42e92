import { updateSamlClient } from '../../src/domain/clients/saml-clients';
import { updateSamlClientBody } from '../../src/http/client-schemas';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `PATCH /v1/applications/{id}/saml-clients/{clientId}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateSamlClient(samlRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'), jsonBody(event, updateSamlClientBody))),
);
