import { InvalidRequest } from '../errors';
import { CHALLENGE_TTL_SECONDS, seconds, type InteractionDeps } from './deps';
import { handleMatches, newHandle } from './handles';
import type { AuthorizationRequestRecord, AuthorizationStatus, LoginResult, SamlReturn, SessionRecord } from './model';
import type { AuthorizeOutcome, BrowserState } from './outcome';
import { sessionLogin } from './sessions';

/**
 * The states of one login and the moves between them. Every move is a conditional write from the
 * state the caller read, so of two concurrent moves exactly one wins:
 *
 *   received ──▶ login ──▶ login_answered ──▶ consent ──▶ consent_answered ──▶ done
 *   (SAML only)    │             ▲   │                                          ▲
 *                  └─ a live session answers the login at once                  │
 *                                    └─ no consent needed: the finisher ────────┘
 *
 * `received` is a SAML AuthnRequest checked at the SSO URL; an OIDC request starts in `login` or,
 * with a live session, in `login_answered`. The application's backend answers `login` and `consent`
 * (`interaction-requests.ts`); the browser brings the verifier back to the authorization endpoint,
 * and the protocol's finisher moves the request to `done` once and answers the client.
 */

/** The fields of the `login` state, or of `login_answered` when a live session logs the end user in. */
export interface LoginStep {
  readonly changes: Partial<AuthorizationRequestRecord> & { readonly status: AuthorizationStatus; readonly browserBindingHash: string };
  readonly binding: { readonly requestId: string; readonly value: string; readonly maxAgeSeconds: number };
  /** Absent when the session answered the login. */
  readonly challenge?: string;
}

/**
 * Entering the login: a cookie binds the request to this browser (RFC 9700 §4.2: only the browser
 * that started it may resume it), and without a session a single-use challenge for the login page.
 */
export async function loginStep(deps: Pick<InteractionDeps, 'hasher'>, requestId: string, session: SessionRecord | undefined): Promise<LoginStep> {
  const binding = await newHandle(deps.hasher, requestId);
  const challenge = session ? undefined : await newHandle(deps.hasher, requestId);
  return {
    changes: {
      status: session ? 'login_answered' : 'login',
      browserBindingHash: binding.hash,
      ...(challenge ? { loginChallengeHash: challenge.hash } : {}),
      ...(session ? { login: sessionLogin(session) } : {}),
    },
    binding: { requestId, value: binding.value, maxAgeSeconds: CHALLENGE_TTL_SECONDS },
    ...(challenge ? { challenge: challenge.value } : {}),
  };
}

/** Only the browser that started the request may resume it: its binding cookie must match. */
export async function checkBrowserBinding(
  deps: Pick<InteractionDeps, 'hasher'>,
  browser: BrowserState,
  record: Pick<AuthorizationRequestRecord, 'id' | 'browserBindingHash'>,
): Promise<void> {
  const binding = browser.bindingOf(record.id);
  if (!binding || !(await handleMatches(deps.hasher, binding, record.browserBindingHash))) {
    throw new InvalidRequest('this sign-in was started in another browser; start it again from the application');
  }
}

/** The browser goes to the application's login page with the challenge, keeping the binding. */
export function toLoginPage(loginUrl: string, challenge: string, binding: LoginStep['binding']): AuthorizeOutcome {
  const location = new URL(loginUrl);
  location.searchParams.set('login_challenge', challenge);
  return { location: location.href, binding };
}

/** The request moves to `done`, once: a second finisher of the same request is refused. */
export async function finishRequest(deps: Pick<InteractionDeps, 'authorizations' | 'now'>, record: AuthorizationRequestRecord): Promise<AuthorizationRequestRecord> {
  const done = await deps.authorizations.transitionRequest(record.environmentId, record.id, record.status, { status: 'done' }, seconds(deps.now));
  if (!done) throw new InvalidRequest('this sign-in step has already been completed');
  return done;
}

/** The login an answered request carries; one without it is in no state a finisher may end. */
export function answeredLogin(record: AuthorizationRequestRecord): LoginResult {
  if (!record.login) throw new InvalidRequest('this sign-in has no accepted login; start it again from the application');
  return record.login;
}

/** Where a SAML login returns; a request without it did not come through an SSO URL. */
export function samlReturnOf(record: AuthorizationRequestRecord): SamlReturn {
  if (!record.saml) throw new InvalidRequest('this sign-in step has already been completed or its verifier is wrong');
  return record.saml;
}
