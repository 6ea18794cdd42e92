import { rotateSamlCertificate } from '../../src/domain/clients/saml-clients';
import { samlRegistryDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `POST /v1/applications/{id}/saml-clients/{clientId}/certificate`: a new signing certificate, in the metadata at once. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await rotateSamlCertificate(samlRegistryDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'clientId'))),
);
