import { tokenStore } from '../../src/adapters/from-environment';
import { deletePersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { managementDeps, managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/service-accounts/{id}/personal-access-tokens/{patId}`: the token stops working at once. */
export const handler = managementHandler(async (event, caller) => {
  await deletePersonalAccessToken({ ...managementDeps(), tokens: tokenStore() }, caller, pathParameter(event, 'id'), pathParameter(event, 'patId'));
  return { statusCode: 204 };
});
