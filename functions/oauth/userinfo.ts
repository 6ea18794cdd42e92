import { userInfoDeps } from '../../src/composition/dependencies';
import { userInfo } from '../../src/domain/authorization/userinfo';
import { InvalidRequest } from '../../src/domain/errors';
import { httpHandler, json, type HttpEvent } from '../../src/http/handler';
import { authorizationToken, dpopOf } from '../../src/http/dpop';
import { formBody, header } from '../../src/http/request';

/** RFC 6750 §2.1 (header, or RFC 9449 §7.1's `DPoP` scheme) or, for POST, §2.2 (form body); never both. */
function accessToken(event: HttpEvent): { token: string | undefined; scheme: 'Bearer' | 'DPoP' } {
  const authorization = header(event, 'authorization');
  const fromForm = event.requestContext.http.method === 'POST' && event.body ? (formBody(event).get('access_token') ?? undefined) : undefined;
  if (authorization !== undefined && fromForm !== undefined) throw new InvalidRequest('send the access token in the Authorization header or the form, not both');
  if (fromForm !== undefined) return { token: fromForm, scheme: 'Bearer' };
  const presented = authorizationToken(authorization);
  return { token: presented?.token, scheme: presented?.scheme ?? 'Bearer' };
}

/** `GET|POST /oauth/v2/userinfo` (OpenID Connect Core §5.3): the end user's claims the access token's scopes release. */
export const handler = httpHandler({ errors: 'oauth', metrics: 'UserInfoRequests' }, async (event) => {
  const { token, scheme } = accessToken(event);
  return json(200, await userInfo(userInfoDeps(), token, { scheme, dpop: dpopOf(event) }));
});
