import { deleteOidcClient } from '../../src/domain/clients/oidc-clients';
import { clientRegistryDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/applications/{id}/clients/{clientId}`: the client cannot authenticate any more. */
export const handler = managementHandler(async (event, caller) => {
  await deleteOidcClient(clientRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'));
  return { statusCode: 204 };
});
