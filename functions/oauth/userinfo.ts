import { userInfoDeps } from '../../src/composition/dependencies';
import { userInfo } from '../../src/domain/authorization/userinfo';
import { InvalidRequest } from '../../src/domain/errors';
import { httpHandler, json, type HttpEvent } from '../../src/http/handler';
import { formBody, header } from '../../src/http/request';

/** RFC 6750 §2.1 (header) or, for POST, §2.2 (form body); never both. */
function bearerToken(event: HttpEvent): string | undefined {
  const authorization = header(event, 'authorization');
  const fromForm = event.requestContext.http.method === 'POST' && event.body ? (formBody(event).get('access_token') ?? undefined) : undefined;
  if (authorization !== undefined && fromForm !== undefined) throw new InvalidRequest('send the access token in the Authorization header or the form, not both');
  if (fromForm !== undefined) return fromForm;
  return authorization === undefined ? undefined : /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim())?.[1];
}

/** `GET|POST /oauth/v2/userinfo` (OpenID Connect Core §5.3): the end user's claims the access token's scopes release. */
export const handler = httpHandler({ errors: 'oauth', metrics: 'UserInfoRequests' }, async (event) => json(200, await userInfo(userInfoDeps(), bearerToken(event))));
