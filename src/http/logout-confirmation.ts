import { randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidRequest } from '../domain/errors';
import { logoutConfirmationCookie, logoutConfirmationOf } from './browser-cookies';
import type { HttpEvent, HttpResult } from './handler';
import { escapeHtml, PAGE_HEADERS } from './pages';

/**
 * The page that asks an end user before a logout that no fresh ID token of theirs vouches for
 * (OpenID Connect RP-Initiated Logout 1.0 §2), and the check of its answer.
 *
 * Rules:
 * 1. The page carries a random confirmation, also set in a `SameSite=Strict`, `__Host-` cookie; a
 *    logout counts as confirmed only when a POST brings both and they are equal (compared in
 *    constant time). A cross-site page can neither read the value nor send the cookie.
 * 2. A POST whose confirmation is missing from the cookie or differs is refused, never taken for an
 *    unconfirmed request (which would only show the page again).
 * 3. The page has the headers of Latchkey's other pages: no script, no styles, no framing.
 */

export const CONFIRMATION_FIELD = 'logout_confirmation';
const CONFIRMATION_SECONDS = 10 * 60;

/** Whether this request is a confirmed logout from Latchkey's page in this browser. */
export function logoutConfirmed(event: HttpEvent, params: URLSearchParams): boolean {
  const sent = params.get(CONFIRMATION_FIELD);
  if (sent === null) return false;
  const expected = logoutConfirmationOf(event);
  const matches =
    event.requestContext.http.method === 'POST' &&
    expected !== undefined &&
    Buffer.byteLength(sent) === Buffer.byteLength(expected) &&
    timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
  if (!matches) throw new InvalidRequest('the sign-out confirmation has expired or was not made in this browser; start the sign-out again');
  return true;
}

/** Clears the confirmation once it has served. */
export const clearLogoutConfirmation = (): string => logoutConfirmationCookie('', 0);

export function logoutConfirmationPage(clientName: string, parameters: Readonly<Record<string, string>>): HttpResult {
  const confirmation = randomBytes(32).toString('base64url');
  const fields = Object.entries({ ...parameters, [CONFIRMATION_FIELD]: confirmation })
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out?</title></head><body>' +
    `<h1>Sign out?</h1><p>${escapeHtml(clientName)} asks to sign you out.</p>` +
    `<form method="post" action="end_session">${fields}<button type="submit">Sign out</button></form></body></html>`;
  return {
    statusCode: 200,
    headers: PAGE_HEADERS,
    body,
    cookies: [logoutConfirmationCookie(confirmation, CONFIRMATION_SECONDS)],
  };
}
