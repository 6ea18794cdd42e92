import type { PromptValue } from '../clients/model';
import type { UpstreamConnectionType } from '../idp-connections';

/**
 * The records of a login, whatever protocol it ends in: the request (one interaction, from its start
 * to `done`), the browser session it leaves and the consent it remembers. Each lives in its
 * environment's partition under a deterministic key, has an expiry that the code itself enforces
 * (DynamoDB's TTL deletes late, the embedded one never), and holds only keyed hashes of the secrets
 * that name or unlock it: challenges, verifiers and session cookies.
 */

/** The subject an application vouched for when it accepted a login challenge. */
export interface LoginResult {
  readonly userId: string;
  readonly profileId: string;
  readonly subjectId: string;
  /** Epoch seconds of the end user's authentication. */
  readonly authTime: number;
  readonly remember: boolean;
  readonly rememberForSeconds?: number;
  readonly amr?: readonly string[];
  /** Set when the login came from an existing browser session rather than a challenge. */
  readonly sessionId?: string;
  /** Set when an upstream identity provider logged the end user in (`upstream.ts`). */
  readonly upstream?: UpstreamSessionLink;
}

/** The request's upstream leg, as stored on it. */
export interface UpstreamLeg {
  readonly connectionId: string;
  readonly type: UpstreamConnectionType;
  /** The provider's issuer or entity ID, as the state names it: the answer must come from it. */
  readonly issuer?: string;
  readonly stateHash: string;
}

/** What upstream logout needs of a Latchkey session. */
export interface UpstreamSessionLink {
  readonly connectionId: string;
  /** The upstream's session ID (`sid`), for its back-channel logout. */
  readonly sid?: string;
  /** Sealed upstream ID token, sent back as `id_token_hint` at the upstream's end-session endpoint. */
  readonly sealedIdToken?: string;
}

/** `received`: a SAML AuthnRequest checked at the SSO URL, waiting for the browser at the authorization endpoint. */
export type AuthorizationStatus = 'received' | 'login' | 'login_answered' | 'consent' | 'consent_answered' | 'done';

/** What a SAML login returns to: the service provider's ACS URL, answering one AuthnRequest. */
export interface SamlReturn {
  readonly requestId: string;
  readonly acsUrl: string;
  readonly relayState?: string;
  readonly forceAuthn: boolean;
  readonly isPassive: boolean;
}

/** One authorization request, from `/oauth/v2/authorize` to the code; login and consent requests are its states. */
export interface AuthorizationRequestRecord {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  /** The registry ID (`cl_…`) and the `client_id` (`cl_…@env_…`). */
  readonly clientRef: string;
  readonly clientId: string;
  readonly applicationId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state?: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
  readonly prompt: readonly PromptValue[];
  readonly maxAge?: number;
  readonly loginHint?: string;
  readonly resource?: string;
  /** Hash of the cookie that binds the request to the browser that started it. */
  readonly browserBindingHash: string;
  readonly status: AuthorizationStatus;
  readonly loginChallengeHash?: string;
  readonly loginVerifierHash?: string;
  readonly consentChallengeHash?: string;
  readonly consentVerifierHash?: string;
  readonly login?: LoginResult;
  readonly grantedScopes?: readonly string[];
  /** An application refused the login or consent: the client is told this error. */
  readonly rejection?: { readonly error: string; readonly errorDescription?: string };
  /** Set for a SAML login: it ends in a SAML Response posted to the ACS URL instead of a code. */
  readonly saml?: SamlReturn;
  /** Hash of the handle the SSO URL gave the browser to take to the authorization endpoint. */
  readonly samlStartHash?: string;
  /** Set while the end user logs in at an upstream identity provider (`upstream.ts`). */
  readonly upstream?: UpstreamLeg;
  readonly createdAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** A Latchkey browser session: one login of an end user, shared by the environment's clients. */
export interface SessionRecord {
  /** `ses_…`, the `sid` claim; the cookie carries it with a secret whose hash is kept here. */
  readonly id: string;
  readonly environmentId: string;
  readonly secretHash: string;
  readonly userId: string;
  readonly profileId: string;
  readonly subjectId: string;
  readonly authTime: number;
  readonly amr?: readonly string[];
  /** The registry IDs (`cl_…`) of the clients the session signed in to: who to tell when it ends. */
  readonly clientRefs?: readonly string[];
  /** The upstream login behind the session, for upstream logout. */
  readonly upstream?: UpstreamSessionLink;
  readonly expiresAt: number;
}

/** Consent an end user gave a client, remembered for the client's `accessValiditySeconds`. */
export interface ConsentRecord {
  readonly environmentId: string;
  readonly userId: string;
  readonly clientRef: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

/** The fields of an authorization request that say whose it is: the client's, as registered. */
export function requestedBy(
  client: Readonly<{ id: string; clientId: string; applicationId: string; environmentId: string; tenantId: string }>,
): Pick<AuthorizationRequestRecord, 'environmentId' | 'tenantId' | 'clientRef' | 'clientId' | 'applicationId'> {
  return { environmentId: client.environmentId, tenantId: client.tenantId, clientRef: client.id, clientId: client.clientId, applicationId: client.applicationId };
}
