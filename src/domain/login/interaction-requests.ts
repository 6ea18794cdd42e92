import { earliestIssuedAt, latestReset } from '../revoking-resets';
import { requirePermission, type Caller } from '../caller';
import { resolveDelegatedSubject } from '../delegated-tokens';
import { ChallengeExpired, Conflict, InvalidRequest, NotFound } from '../errors';
import { seconds, type InteractionDeps } from './deps';
import { handleId, handleMatches, newHandle } from './handles';
import type { AuthorizationRequestRecord, AuthorizationStatus } from './model';
import { answeredLogin } from './states';

/**
 * Login and consent requests: what the application's backend reads and answers while the browser
 * waits on its login or consent page.
 *
 * Rules, in the order they are checked:
 * 1. The caller holds `LOGIN_REQUESTS_ACCEPT` on `latchkey` (to read, accept or reject).
 * 2. The challenge names a request of the caller's environment (another environment's challenge is
 *    simply not found) and matches its keyed hash, compared in constant time.
 * 3. It has not expired (ten minutes) and has not been answered: a challenge is answered once, by a
 *    conditional write, so of two concurrent answers one wins and the other gets a conflict.
 * 4. Accepting a login finds or creates the end user and profile exactly as delegated tokens do
 *    (the delegated IDP connection must exist, be enabled and be assigned to the application).
 * 5. Granted scopes are among those requested.
 * The answer names where to send the browser: back to the authorization endpoint with a single-use
 * verifier that only the browser which started the request can redeem.
 */

type Kind = 'login' | 'consent';

const STEP = {
  login: { waiting: 'login', answered: 'login_answered', challenge: 'loginChallengeHash', verifierParam: 'login_verifier', what: 'login request' },
  consent: { waiting: 'consent', answered: 'consent_answered', challenge: 'consentChallengeHash', verifierParam: 'consent_verifier', what: 'consent request' },
} as const;

export const REJECTION_ERRORS = ['access_denied', 'login_required', 'consent_required', 'interaction_required', 'account_selection_required', 'temporarily_unavailable'] as const;
export type RejectionError = (typeof REJECTION_ERRORS)[number];

export interface InteractionRequestView {
  readonly challenge: string;
  readonly clientId: string;
  readonly clientName: string;
  readonly applicationId: string;
  readonly requestedScopes: readonly string[];
  readonly prompt: readonly string[];
  readonly maxAge?: number;
  readonly loginHint?: string;
  readonly resource?: string;
  /** Consent requests: the end user being asked. */
  readonly subject?: { readonly userId: string; readonly subjectId: string };
  readonly expiresAt: string;
}

export interface LoginAcceptance {
  readonly subjectId: string | number;
  readonly uniqueProfileIdentifier?: string | number;
  readonly email?: string;
  /** The application verified `email` (kept with it on the user; ID tokens and userinfo say `email_verified`). */
  readonly emailVerified?: boolean;
  readonly name?: string;
  readonly remember?: boolean;
  readonly rememberForSeconds?: number;
  /** Authentication methods (RFC 8176), e.g. `pwd`, `otp`, `mfa`, for the ID token's `amr`. */
  readonly amr?: readonly string[];
}

export interface ConsentAcceptance {
  readonly grantScopes: readonly string[];
  readonly remember?: boolean;
}

export interface Rejection {
  readonly error: RejectionError;
  readonly errorDescription?: string;
}

export const MAX_REMEMBER_SECONDS = 365 * 24 * 3600;

async function load(deps: InteractionDeps, caller: Caller, kind: Kind, challenge: string): Promise<AuthorizationRequestRecord> {
  requirePermission(caller, 'LOGIN_REQUESTS_ACCEPT');
  const step = STEP[kind];
  const id = handleId(challenge);
  const record = id ? await deps.authorizations.getRequest(caller.environmentId, id) : undefined;
  if (!record || !(await handleMatches(deps.hasher, challenge, record[step.challenge]))) throw new NotFound(`the ${step.what} of this challenge`);
  if (record.expiresAt <= seconds(deps.now)) throw new ChallengeExpired(`this ${step.what}`);
  if (record.status !== step.waiting) throw new Conflict(`this ${step.what} has already been answered`);
  return record;
}

export async function getInteractionRequest(deps: InteractionDeps, caller: Caller, kind: Kind, challenge: string): Promise<InteractionRequestView> {
  const record = await load(deps, caller, kind, challenge);
  const client = await deps.clients.getClient(record.environmentId, record.clientRef);
  return {
    challenge,
    clientId: record.clientId,
    clientName: client?.name ?? record.clientId,
    applicationId: record.applicationId,
    requestedScopes: record.scopes,
    prompt: record.prompt,
    ...(record.maxAge !== undefined ? { maxAge: record.maxAge } : {}),
    ...(record.loginHint !== undefined ? { loginHint: record.loginHint } : {}),
    ...(record.resource !== undefined ? { resource: record.resource } : {}),
    ...(kind === 'consent' && record.login ? { subject: { userId: record.login.userId, subjectId: record.login.subjectId } } : {}),
    expiresAt: new Date(record.expiresAt * 1000).toISOString(),
  };
}

export async function acceptLoginRequest(deps: InteractionDeps, caller: Caller, challenge: string, input: LoginAcceptance): Promise<{ redirectTo: string }> {
  const record = await load(deps, caller, 'login', challenge);
  const rememberFor = input.rememberForSeconds;
  if (rememberFor !== undefined && (!Number.isInteger(rememberFor) || rememberFor < 60 || rememberFor > MAX_REMEMBER_SECONDS)) {
    throw new InvalidRequest(`rememberForSeconds must be a whole number of seconds from 60 to ${MAX_REMEMBER_SECONDS}`, {
      fields: [{ path: 'rememberForSeconds', message: `must be from 60 to ${MAX_REMEMBER_SECONDS}` }],
    });
  }
  const { user, connection, profile, subjectId } = await resolveDelegatedSubject(deps, caller, {
    applicationId: record.applicationId,
    subjectId: input.subjectId,
    ...(input.uniqueProfileIdentifier !== undefined ? { uniqueProfileIdentifier: input.uniqueProfileIdentifier } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.email !== undefined && input.emailVerified !== undefined ? { emailVerified: input.emailVerified } : {}),
    ...(input.name !== undefined ? { name: input.name } : {}),
  });
  return answer(deps, record, 'login', {
    login: {
      userId: user.id,
      profileId: profile.id,
      subjectId,
      // After the user's last sign-out everywhere and its connection's last disabling, or this login would count as one they ended.
      authTime: earliestIssuedAt(latestReset(user, connection), deps.now()),
      remember: input.remember ?? false,
      ...(rememberFor !== undefined ? { rememberForSeconds: rememberFor } : {}),
      ...(input.amr?.length ? { amr: [...input.amr] } : {}),
    },
  });
}

export async function acceptConsentRequest(deps: InteractionDeps, caller: Caller, challenge: string, input: ConsentAcceptance): Promise<{ redirectTo: string }> {
  const record = await load(deps, caller, 'consent', challenge);
  const granted = [...new Set(input.grantScopes)];
  const extra = granted.filter((scope) => !record.scopes.includes(scope));
  if (extra.length > 0) {
    throw new InvalidRequest(`grantScopes may only hold requested scopes; ${extra.map((s) => `"${s}"`).join(', ')} ${extra.length === 1 ? 'was' : 'were'} not requested`, {
      fields: [{ path: 'grantScopes', message: 'holds scopes that were not requested' }],
    });
  }
  const result = await answer(deps, record, 'consent', { grantedScopes: granted });
  if (input.remember !== false) {
    const client = await deps.clients.getClient(record.environmentId, record.clientRef);
    if (client?.protocol === 'oidc') {
      await deps.authorizations.putConsent({
        environmentId: record.environmentId,
        userId: answeredLogin(record).userId,
        clientRef: record.clientRef,
        scopes: granted,
        expiresAt: seconds(deps.now) + client.accessValiditySeconds,
      });
    }
  }
  return result;
}

export async function rejectInteractionRequest(deps: InteractionDeps, caller: Caller, kind: Kind, challenge: string, rejection: Rejection): Promise<{ redirectTo: string }> {
  const record = await load(deps, caller, kind, challenge);
  return answer(deps, record, kind, {
    rejection: { error: rejection.error, ...(rejection.errorDescription !== undefined ? { errorDescription: rejection.errorDescription } : {}) },
  });
}

async function answer(deps: InteractionDeps, record: AuthorizationRequestRecord, kind: Kind, changes: Partial<AuthorizationRequestRecord>): Promise<{ redirectTo: string }> {
  const step = STEP[kind];
  const verifier = await newHandle(deps.hasher, record.id);
  const verifierField = kind === 'login' ? 'loginVerifierHash' : 'consentVerifierHash';
  const now = seconds(deps.now);
  const moved = await deps.authorizations.transitionRequest(
    record.environmentId,
    record.id,
    step.waiting as AuthorizationStatus,
    // The browser has the rest of the challenge's lifetime, and at least a minute, to come back.
    { ...changes, status: step.answered, [verifierField]: verifier.hash, expiresAt: Math.max(record.expiresAt, now + 60) },
    now,
  );
  if (!moved) throw new Conflict(`this ${step.what} has already been answered`);
  const redirectTo = new URL(`${deps.issuer}/oauth/v2/authorize`);
  redirectTo.searchParams.set('client_id', record.clientId);
  redirectTo.searchParams.set(step.verifierParam, verifier.value);
  return { redirectTo: redirectTo.href };
}
