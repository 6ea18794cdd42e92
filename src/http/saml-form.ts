import { randomBytes } from 'node:crypto';
import type { SamlForm } from '../domain/login/outcome';
import type { HttpResult } from './handler';
import { escapeHtml } from './pages';

/**
 * The HTTP-POST binding's page (SAML bindings §3.5.4): a form that the browser submits to the ACS
 * URL by itself. The one script runs by a per-response nonce (`script-src 'nonce-…'`); the form may
 * go to the ACS URL only (`form-action`); the page loads nothing else and cannot be framed. Without
 * script, the button submits it. Never cached: it carries a bearer assertion.
 */
export function samlFormPage(form: SamlForm, cookies: readonly string[]): HttpResult {
  const nonce = randomBytes(16).toString('base64');
  const inputs = Object.entries(form.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in</title></head><body>` +
    `<form method="post" action="${escapeHtml(form.action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>` +
    `<script nonce="${nonce}">document.forms[0].submit();</script></body></html>`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; form-action ${cspSource(form.action)}; frame-ancestors 'none'; base-uri 'none'`,
    },
    body,
    ...(cookies.length ? { cookies: [...cookies] } : {}),
  };
}

/** A CSP source for exactly this URL (without query or fragment, which CSP does not match). */
function cspSource(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`.replace(/[;,\s]/g, encodeURIComponent);
}
