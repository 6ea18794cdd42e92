import { getPersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { json } from '../../src/http/handler';
import { personalAccessTokenDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/service-accounts/{id}/personal-access-tokens/{patId}`: metadata only, never the token or its hash. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getPersonalAccessToken(personalAccessTokenDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'patId'))),
);
