import { deleteSamlClient } from '../../src/domain/clients/saml-clients';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/applications/{id}/saml-clients/{clientId}`: its metadata URL answers 404 from then on. */
export const handler = managementHandler(async (event, caller) => {
  await deleteSamlClient(samlRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'));
  return { statusCode: 204 };
});
