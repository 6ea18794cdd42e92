import type { OidcLoginDeps } from '../authorization/deps';
import { startCodeRequest } from '../authorization/authorization-request';
import { afterConsent, afterLogin } from '../authorization/code';
import { requestParameters } from '../authorization/pushed-requests';
import type { StoredClient } from '../clients/model';
import { InvalidRequest } from '../errors';
import { finishSamlLogin, startSamlLogin, type SamlLoginDeps } from '../saml/login';
import { findLoginClient, type LoginClient } from './clients';
import { seconds } from './deps';
import { handleId, handleMatches } from './handles';
import { checkBrowserBinding } from './states';
import type { AuthorizeOutcome, BrowserState } from './outcome';
import type { BrokeringDeps } from './upstream';

/**
 * The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2): the one entry of every
 * browser login, OIDC or SAML, with end-user login and consent delegated to the application's own
 * pages. It finds the client, then either starts a login (the protocol's start checks the request)
 * or resumes one with a verifier and hands the answered request to the protocol's finisher: the
 * authorization code (`src/domain/authorization/code.ts`) or the SAML Response
 * (`src/domain/saml/login.ts`). The states are in `states.ts`.
 *
 * Rules, in the order they are checked:
 * 1. No parameter is longer than 2000 characters.
 * 2. `client_id` names a client of an existing application; failing it, the browser gets an error
 *    page and is never redirected.
 * 3. A verifier (`login_verifier` or `consent_verifier`, not both) names a request of this client
 *    that has not expired, is presented by the browser that started it (its binding cookie, RFC
 *    9700 §4.2: CSRF and session fixation), is in the state its verifier answers, and matches; it is
 *    single use, since the finisher moves the request on with a conditional write. A SAML login
 *    has no consent step.
 * 4. Without one, a SAML client comes here only with the single-use `saml_request` handle its SSO
 *    URL gave (`src/domain/saml/sso.ts`); an OIDC client starts a code request, with the parameters
 *    it pushed when it sends a `request_uri` (RFC 9126, `src/domain/authorization/pushed-requests.ts`).
 */

/** The authorization endpoint may end a login of either protocol, so it needs both finishers' dependencies. */
export type AuthorizeDeps = OidcLoginDeps & SamlLoginDeps & BrokeringDeps;

const MAX_PARAMETER_LENGTH = 2000;

export async function authorize(deps: AuthorizeDeps, params: URLSearchParams, browser: BrowserState): Promise<AuthorizeOutcome> {
  for (const [name, value] of params) {
    if (value.length > MAX_PARAMETER_LENGTH) throw new InvalidRequest(`parameter "${name}" is longer than ${MAX_PARAMETER_LENGTH} characters`);
  }
  const clientId = params.get('client_id');
  if (!clientId) throw new InvalidRequest('client_id is required');
  const found = await findLoginClient(deps, clientId);
  if (!found) throw new InvalidRequest(`client_id "${clientId.slice(0, 80)}" is not a client of this issuer`);
  const loginVerifier = params.get('login_verifier');
  const consentVerifier = params.get('consent_verifier');
  if (loginVerifier !== null && consentVerifier !== null) throw new InvalidRequest('send login_verifier or consent_verifier, not both');
  if (loginVerifier !== null) return resume(deps, found, 'login', loginVerifier, browser);
  if (consentVerifier !== null) return resume(deps, found, 'consent', consentVerifier, browser);
  const { client, application } = found;
  if (client.protocol === 'saml') {
    const samlRequest = params.get('saml_request');
    if (samlRequest === null) throw new InvalidRequest('a SAML client signs in through its SSO URL');
    return startSamlLogin(deps, { client, application }, samlRequest, browser);
  }
  return startCodeRequest(deps, { client, application }, await requestParameters(deps, client, params), browser);
}

const ANSWERED = { login: 'login_answered', consent: 'consent_answered' } as const;

async function resume(
  deps: AuthorizeDeps,
  { client, application }: LoginClient<StoredClient>,
  step: 'login' | 'consent',
  verifier: string,
  browser: BrowserState,
): Promise<AuthorizeOutcome> {
  const id = handleId(verifier);
  const record = id && (await deps.authorizations.getRequest(client.environmentId, id));
  if (!record || record.clientRef !== client.id) throw new InvalidRequest('this sign-in is unknown; start it again from the application');
  if (record.expiresAt <= seconds(deps.now)) throw new InvalidRequest('this sign-in has expired; start it again from the application');
  await checkBrowserBinding(deps, browser, record);
  const expectedHash = step === 'login' ? record.loginVerifierHash : record.consentVerifierHash;
  if (record.status !== ANSWERED[step] || !(await handleMatches(deps.hasher, verifier, expectedHash))) {
    throw new InvalidRequest('this sign-in step has already been completed or its verifier is wrong');
  }
  if (client.protocol === 'saml') {
    if (step !== 'login' || !record.saml) throw new InvalidRequest('this sign-in step has already been completed or its verifier is wrong');
    return finishSamlLogin(deps, client, record);
  }
  return step === 'login' ? afterLogin(deps, client, application, record) : afterConsent(deps, client, record);
}
