import { createPersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { json } from '../../src/http/handler';
import { personalAccessTokenDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { createPersonalAccessTokenBody } from '../../src/http/management-schemas';

/** `POST /v1/service-accounts/{id}/personal-access-tokens`: the answer carries the token, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createPersonalAccessToken(personalAccessTokenDeps(), caller, pathParameter(event, 'id'), jsonBody(event, createPersonalAccessTokenBody, { optional: true }))),
);
