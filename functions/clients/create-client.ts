import { createOidcClient } from '../../src/domain/clients/oidc-clients';
import { createOidcClientBody } from '../../src/http/client-schemas';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/applications/{id}/clients`: the answer carries the client secret, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createOidcClient(clientRegistryDeps(), caller, pathParameter(event, 'id'), jsonBody(event, createOidcClientBody))),
);
