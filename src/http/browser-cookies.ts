import type { AuthorizeOutcome, BrowserState } from '../domain/login/outcome';
import type { HttpEvent, HttpResult } from './handler';
import { samlFormPage } from './saml-form';

/**
 * Latchkey's cookies on its own domain, for the browser endpoints under `/oauth/v2`:
 * - `lk_session_{environmentId}`: the browser session of an environment (`{sid}.{secret}`), so
 *   single sign-on spans that environment's clients and never another's.
 * - `lk_authz_{requestId}`: binds one authorization request to the browser that started it (read by
 *   the authorization endpoint and by the upstream login's choice page and callback).
 * - `__Host-lk_logout`: binds a logout confirmation page to the browser it was shown to; `SameSite=Strict`
 *   (only Latchkey's own page posts it back) and `__Host-` (no sibling domain can set it).
 * Every cookie is `HttpOnly` (no script reads it), `Secure` (browsers treat http://localhost as
 * secure, so the local runtime works too) and `SameSite=Lax` unless said otherwise: it goes along on
 * the top-level redirects back from the application's pages, never on cross-site subrequests.
 */

const SESSION_PATH = '/oauth/v2';
/** The authorization endpoint and the upstream login's choice page and callback (`/oauth/v2/idp/…`). */
const BINDING_PATH = '/oauth/v2';

export const sessionCookieName = (environmentId: string) => `lk_session_${environmentId}`;
const bindingCookieName = (requestId: string) => `lk_authz_${requestId}`;

export function readCookies(event: HttpEvent): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const entry of event.cookies ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) cookies.set(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim());
  }
  return cookies;
}

export function browserState(event: HttpEvent): BrowserState {
  const cookies = readCookies(event);
  return {
    sessionOf: (environmentId) => cookies.get(sessionCookieName(environmentId)),
    bindingOf: (requestId) => cookies.get(bindingCookieName(requestId)),
  };
}

function cookie(name: string, value: string, path: string, maxAgeSeconds?: number, sameSite: 'Lax' | 'Strict' = 'Lax'): string {
  return [`${name}=${value}`, `Path=${path}`, 'HttpOnly', 'Secure', `SameSite=${sameSite}`, ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : [])].join('; ');
}

export function clearSessionCookie(environmentId: string): string {
  return cookie(sessionCookieName(environmentId), '', SESSION_PATH, 0);
}

const LOGOUT_CONFIRMATION_COOKIE = '__Host-lk_logout';

export function logoutConfirmationOf(event: HttpEvent): string | undefined {
  return readCookies(event).get(LOGOUT_CONFIRMATION_COOKIE);
}

/** Set with the confirmation page; an empty `value` clears it. `__Host-` cookies must have `Path=/`. */
export function logoutConfirmationCookie(value: string, maxAgeSeconds: number): string {
  return cookie(LOGOUT_CONFIRMATION_COOKIE, value, '/', value ? maxAgeSeconds : 0, 'Strict');
}

/** The redirect (or, ending a SAML login, the form page) an authorization outcome stands for, with the cookies it sets or clears. */
export function authorizeRedirect(outcome: AuthorizeOutcome): HttpResult {
  const cookies: string[] = [];
  if (outcome.session) cookies.push(cookie(sessionCookieName(outcome.session.environmentId), outcome.session.value, SESSION_PATH, outcome.session.maxAgeSeconds));
  if (outcome.binding) cookies.push(cookie(bindingCookieName(outcome.binding.requestId), outcome.binding.value, BINDING_PATH, outcome.binding.maxAgeSeconds));
  if (outcome.clearBinding) cookies.push(cookie(bindingCookieName(outcome.clearBinding), '', BINDING_PATH, 0));
  if (outcome.form) return samlFormPage(outcome.form, cookies);
  return { statusCode: 303, headers: { location: outcome.location }, ...(cookies.length ? { cookies } : {}) };
}
