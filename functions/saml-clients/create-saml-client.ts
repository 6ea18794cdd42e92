import { createSamlClient } from '../../src/domain/clients/saml-clients';
import { createSamlClientBody } from '../../src/http/client-schemas';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/applications/{id}/saml-clients`: answers the generated SSO URL, IdP entity ID, certificate and metadata URL. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createSamlClient(samlRegistryDeps(), caller, pathParameter(event, 'id'), jsonBody(event, createSamlClientBody))),
);
