import { deletePersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { personalAccessTokenDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/service-accounts/{id}/personal-access-tokens/{patId}`: the token stops working at once. */
export const handler = managementHandler(async (event, caller) => {
  await deletePersonalAccessToken(personalAccessTokenDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'patId'));
  return { statusCode: 204 };
});
