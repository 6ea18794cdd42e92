/**
 * What the authorization endpoint reads from the browser and answers it, whatever protocol the
 * login ends in. The HTTP layer turns an outcome into a redirect or a form page with cookies
 * (`src/http/browser-cookies.ts`).
 */

/** What the browser holds for Latchkey: its session in an environment and its binding to a request. */
export interface BrowserState {
  sessionOf(environmentId: string): string | undefined;
  bindingOf(requestId: string): string | undefined;
}

/** Start remembering a session; `maxAgeSeconds` absent: only as long as the browser runs. */
export interface SessionCookie {
  readonly environmentId: string;
  readonly value: string;
  readonly maxAgeSeconds?: number;
}

/** An auto-submitted POST of a SAML message to the ACS URL (SAML bindings §3.5). */
export interface SamlForm {
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** Where the browser goes next, and what it should remember or forget. */
export interface AuthorizeOutcome {
  readonly location: string;
  readonly session?: SessionCookie;
  readonly binding?: { readonly requestId: string; readonly value: string; readonly maxAgeSeconds: number };
  /** The binding has served its purpose. */
  readonly clearBinding?: string;
  /** A SAML login's end: the browser POSTs this form to `location` (the ACS URL) instead of a redirect. */
  readonly form?: SamlForm;
}
