import { generateDelegatedAccessToken } from '../../src/domain/delegated-tokens';
import { delegatedTokenDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { delegatedAccessTokenBody } from '../../src/http/management-schemas';

/**
 * `POST /v1/delegated-access-tokens`: a service-account token holding GENERATE_DELEGATED_ACCESS_TOKEN
 * vouches for an end user; the answer is `{accessToken, tokenType, expiresInSeconds, payload}`.
 */
export const handler = managementHandler(async (event, caller) =>
  json(200, await generateDelegatedAccessToken(delegatedTokenDeps(), caller, jsonBody(event, delegatedAccessTokenBody))),
);
