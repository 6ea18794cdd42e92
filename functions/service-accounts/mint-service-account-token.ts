import { mintForServiceAccount } from '../../src/domain/service-account-tokens';
import { json } from '../../src/http/handler';
import { tokenIssuingDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { audienceRequestProblem } from '../../src/domain/scopes';
import { tokenRequest } from '../../src/http/schemas';

/** `POST /v1/service-accounts/{id}/access-tokens`: a token for the account without its secret. */
export const handler = managementHandler(async (event, caller) => {
  const request = jsonBody(event, tokenRequest, { optional: true });
  const resources = typeof request.resource === 'string' ? [request.resource] : request.resource;
  const problem = audienceRequestProblem(resources ?? [], request.scope);
  if (problem) throw problem;
  const token = await mintForServiceAccount(tokenIssuingDeps(), caller, pathParameter(event, 'id'), {
    ...(request.scope !== undefined ? { scope: request.scope } : {}),
    ...(resources ? { resources } : {}),
  });
  const { claims: _claims, ...answer } = token;
  return json(201, answer);
});
