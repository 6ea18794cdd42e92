import { authorize } from '../../src/domain/login/authorize';
import { authorizeRedirect, browserState } from '../../src/http/browser-cookies';
import { httpHandler } from '../../src/http/handler';
import { authorizeDeps } from '../../src/composition/dependencies';
import { authorizationParameters } from '../../src/http/request';

/**
 * `GET|POST /oauth/v2/authorize` (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2): starts an
 * authorization request and sends the browser to the application's login or consent page, or
 * resumes one with a verifier and sends the browser back to the client with its code.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'AuthorizationRequests' }, async (event) =>
  authorizeRedirect(await authorize(authorizeDeps(), authorizationParameters(event), browserState(event))),
);
