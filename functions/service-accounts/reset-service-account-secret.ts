import { resetSecret } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { resetServiceAccountSecretBody } from '../../src/http/management-schemas';

/** `POST /v1/service-accounts/{id}/secret`: a new secret, shown once; `revokeTokens` ends every earlier token of the account. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await resetSecret(serviceAccountDeps(), caller, pathParameter(event, 'id'), jsonBody(event, resetServiceAccountSecretBody, { optional: true }))),
);
