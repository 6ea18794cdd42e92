import { oidcCallbackDeps } from '../../src/composition/dependencies';
import { completeOidcLogin } from '../../src/domain/federation/oidc-upstream';
import { browserState } from '../../src/http/browser-cookies';
import { httpHandler, type HttpResult } from '../../src/http/handler';
import { logger } from '../../src/http/observability';

/**
 * `GET /oauth/v2/idp/callback`: the redirect URI every upstream OpenID provider sends the browser
 * back to. The login is answered either way and the browser goes back to the authorization endpoint;
 * a failure's detail goes to the log (and its code to the audit log), never to the client.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'UpstreamLogins' }, async (event): Promise<HttpResult> => {
  const outcome = await completeOidcLogin(oidcCallbackDeps(), new URLSearchParams(event.rawQueryString ?? ''), browserState(event));
  if (outcome.failure) logger.warn('upstream login failed', { code: outcome.failure.code, detail: outcome.failure.message });
  return { statusCode: 303, headers: { location: outcome.redirectTo } };
});
