import { listSamlClients } from '../../src/domain/clients/saml-clients';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}/saml-clients`: every SAML client of the application. */
export const handler = managementHandler(async (event, caller) => json(200, await listSamlClients(samlRegistryDeps(), caller, pathParameter(event, 'id'))));
