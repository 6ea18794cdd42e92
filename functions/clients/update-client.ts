import { updateOidcClient } from '../../src/domain/clients/oidc-clients';
import { updateOidcClientBody } from '../../src/http/client-schemas';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `PATCH /v1/applications/{id}/clients/{clientId}`: changes settings; `null` clears an optional one. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateOidcClient(clientRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'), jsonBody(event, updateOidcClientBody))),
);
