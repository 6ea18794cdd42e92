import { listPersonalAccessTokens } from '../../src/domain/personal-access-tokens';
import { json } from '../../src/http/handler';
import { personalAccessTokenDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { pageQuery } from '../../src/http/management-schemas';

/** `GET /v1/service-accounts/{id}/personal-access-tokens?limit=&cursor=`: metadata only, never a token or its hash. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listPersonalAccessTokens(personalAccessTokenDeps(), caller, pathParameter(event, 'id'), queryParams(event, pageQuery))),
);
