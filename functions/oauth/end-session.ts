import { endSessionDeps } from '../../src/composition/dependencies';
import { endSession } from '../../src/domain/authorization/end-session';
import { browserState, clearSessionCookie } from '../../src/http/browser-cookies';
import { httpHandler, type HttpResult } from '../../src/http/handler';
import { clearLogoutConfirmation, logoutConfirmationPage, logoutConfirmed } from '../../src/http/logout-confirmation';
import { PAGE_HEADERS } from '../../src/http/pages';
import { authorizationParameters } from '../../src/http/request';

const SIGNED_OUT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><h1>You are signed out</h1></body></html>';

/**
 * `GET|POST /oauth/v2/end_session` (OpenID Connect RP-Initiated Logout 1.0): ends the browser
 * session, or first asks the end user on a page that posts back here.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'EndSessionRequests' }, async (event): Promise<HttpResult> => {
  const params = authorizationParameters(event);
  const confirmed = logoutConfirmed(event, params);
  const outcome = await endSession(endSessionDeps(), params, browserState(event).sessionOf, confirmed);
  if (!outcome.ended) return logoutConfirmationPage(outcome.clientName, outcome.parameters);
  const cookies = [clearSessionCookie(outcome.environmentId), ...(confirmed ? [clearLogoutConfirmation()] : [])];
  if (outcome.location) return { statusCode: 303, headers: { location: outcome.location }, cookies };
  return {
    statusCode: 200,
    headers: PAGE_HEADERS,
    body: SIGNED_OUT,
    cookies,
  };
});
