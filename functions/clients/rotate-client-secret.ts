import { rotateOidcClientSecret } from '../../src/domain/clients/oidc-clients';
import { rotateSecretBody } from '../../src/http/client-schemas';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/applications/{id}/clients/{clientId}/secret`: a new secret, shown once. */
export const handler = managementHandler(async (event, caller) =>
  json(
    200,
    await rotateOidcClientSecret(clientRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'), jsonBody(event, rotateSecretBody, { optional: true })),
  ),
);
