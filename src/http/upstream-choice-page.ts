import type { UpstreamChoice } from '../domain/login/upstream';
import type { HttpResult } from './handler';
import { escapeHtml, PAGE_HEADERS } from './pages';

/**
 * The page that asks which upstream identity provider logs the end user in, for an application
 * without a `loginUrl` and with several connections: the email address (routed by the connections'
 * email domains) or one of the connections by name. Both forms GET the same URL back, with the
 * request's IDs; the domain checks the browser's binding to the request there. The page has the
 * headers of Latchkey's other pages: no script, no styles, no framing.
 */
export function upstreamChoicePage({ page }: Extract<UpstreamChoice, { page: unknown }>): HttpResult {
  const hidden = `<input type="hidden" name="environment" value="${escapeHtml(page.environmentId)}"><input type="hidden" name="request" value="${escapeHtml(page.requestId)}">`;
  const email = page.askEmail
    ? `<form method="get" action="login">${hidden}<label>Email address <input type="email" name="email" autocomplete="email" required></label> <button type="submit">Continue</button></form>`
    : '';
  const buttons = page.connections
    .map(
      ({ id, name }) =>
        `<form method="get" action="login">${hidden}<input type="hidden" name="connection" value="${escapeHtml(id)}"><button type="submit">${escapeHtml(name)}</button></form>`,
    )
    .join('');
  const body =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body><h1>Sign in</h1>' +
    (page.message ? `<p role="alert">${escapeHtml(page.message)}</p>` : '') +
    email +
    (page.connections.length > 0 ? `<p>Or sign in with:</p>${buttons}` : '<p>No identity provider is available for this application.</p>') +
    '</body></html>';
  return {
    statusCode: 200,
    headers: PAGE_HEADERS,
    body,
  };
}
