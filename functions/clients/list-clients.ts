import { listOidcClients } from '../../src/domain/clients/oidc-clients';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}/clients`: every OIDC client of the application. */
export const handler = managementHandler(async (event, caller) => json(200, await listOidcClients(clientRegistryDeps(), caller, pathParameter(event, 'id'))));
