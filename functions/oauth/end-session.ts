import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import { signingKeys } from '../../src/adapters/from-environment';
import { postLogoutToken } from '../../src/adapters/back-channel-logout';
import { endSession } from '../../src/domain/authorization/end-session';
import { browserState, clearSessionCookie } from '../../src/http/browser-cookies';
import { httpHandler, type HttpResult } from '../../src/http/handler';
import { interactionDeps } from '../../src/http/interaction-deps';
import { logger } from '../../src/http/observability';
import { authorizationParameters } from '../../src/http/request';

const base = interactionDeps();

/** Signature and issuer only: RP-initiated logout accepts an expired ID token as its hint. */
async function readIdTokenHint(token: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    await compactVerify(token, createLocalJWKSet({ keys: [...(await signingKeys().publicKeys())] as never }));
    const claims = decodeJwt(token);
    return claims.iss === base.issuer ? claims : undefined;
  } catch {
    return undefined;
  }
}

const deps = {
  ...base,
  readIdTokenHint,
  signer: signingKeys(),
  notifyLogout: (url: string, token: string) => postLogoutToken(url, token, (reason) => logger.warn('back-channel logout failed', { reason })),
};

const SIGNED_OUT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><h1>You are signed out</h1></body></html>';

/** `GET|POST /oauth/v2/end_session` (OpenID Connect RP-Initiated Logout 1.0): ends the browser session. */
export const handler = httpHandler({ errors: 'browser', metrics: 'EndSessionRequests' }, async (event): Promise<HttpResult> => {
  const browser = browserState(event);
  const outcome = await endSession(deps, authorizationParameters(event), browser.sessionOf);
  const cookies = [clearSessionCookie(outcome.environmentId)];
  if (outcome.location) return { statusCode: 303, headers: { location: outcome.location }, cookies };
  return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" }, body: SIGNED_OUT, cookies };
});
