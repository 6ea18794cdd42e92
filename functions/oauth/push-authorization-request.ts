import { pushedRequestDeps } from '../../src/composition/dependencies';
import { pushAuthorizationRequest } from '../../src/domain/authorization/pushed-requests';
import { clientRequest, readClientAuthentication } from '../../src/http/client-authentication';
import { httpHandler, json } from '../../src/http/handler';
import { formBody } from '../../src/http/request';

/**
 * `POST /oauth/v2/par` (RFC 9126 §2): the client authenticates as at the token endpoint and pushes
 * its authorization request; the answer is a single-use `request_uri` for the authorization
 * endpoint. The rules are in src/domain/authorization/pushed-requests.ts.
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'PushedAuthorizationRequests' }, async (event) => {
  const form = formBody(event, ['resource']);
  const answer = await pushAuthorizationRequest(pushedRequestDeps(), clientRequest(event), () => readClientAuthentication(event, form), form);
  return json(201, answer);
});
