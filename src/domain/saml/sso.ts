import type { AssertionReplayStore } from '../clients/client-assertion';
import { samlUrls } from '../clients/saml-clients';
import type { StoredSamlClient } from '../clients/model';
import { InvalidRequest } from '../errors';
import { newId } from '../ids';
import { findLoginClient, type LoginClient } from '../login/clients';
import { CHALLENGE_TTL_SECONDS, seconds, type InteractionDeps } from '../login/deps';
import { newHandle } from '../login/handles';
import { requestedBy, type AuthorizationRequestRecord } from '../login/model';
import { readAuthnRequest, REQUEST_MAX_AGE_SECONDS, type ReceivedRequest } from './authn-request';

/**
 * The SSO URL of a SAML client (SAML profiles §4.1, Web Browser SSO, SP-initiated). The login itself
 * is the login engine's (`src/domain/login/`): the SSO URL checks the AuthnRequest, records it as
 * a request in the `received` state whose "return" is the ACS URL, and sends the browser to the
 * authorization endpoint, which finds the browser session (single sign-on) or asks the
 * application's login page, exactly as for an OIDC client; `login.ts` finishes it.
 *
 * Rules, besides those of `authn-request.ts`:
 * 1. The client ID names a SAML client of an existing application; otherwise an error page, and
 *    nothing is ever posted to an ACS URL that was not checked.
 * 2. An AuthnRequest ID is used once per client: a conditional write records it until the request
 *    could no longer be fresh, so a replay within that window is refused.
 * 3. The handle the browser carries to the authorization endpoint is single use and names this
 *    request only (its keyed hash is on the record).
 */

/** What the SSO URL needs besides the engine's: single use of AuthnRequest IDs. */
export interface SamlSsoDeps extends InteractionDeps {
  readonly replay: AssertionReplayStore;
}

export async function receiveAuthnRequest(deps: SamlSsoDeps, clientId: string, received: ReceivedRequest): Promise<{ location: string }> {
  const { client } = await loadSamlClient(deps, clientId);
  const urls = samlUrls(deps.issuer, client.clientId);
  const nowMs = deps.now();
  const request = readAuthnRequest(client, urls.ssoUrl, received, nowMs);
  const until = Math.floor(request.issueInstantMs / 1000) + REQUEST_MAX_AGE_SECONDS + 1;
  if (!(await deps.replay.recordAssertionId(client.environmentId, client.id, `saml-authn-request#${request.id}`, until, seconds(deps.now)))) {
    throw new InvalidRequest('this AuthnRequest ID has been used already; send a new AuthnRequest');
  }
  const id = newId('azr');
  const start = await newHandle(deps.hasher, id);
  const record: AuthorizationRequestRecord = {
    id,
    ...requestedBy(client),
    redirectUri: request.acsUrl,
    scopes: [],
    prompt: request.forceAuthn ? ['login'] : [],
    browserBindingHash: '',
    status: 'received',
    samlStartHash: start.hash,
    saml: {
      requestId: request.id,
      acsUrl: request.acsUrl,
      ...(request.relayState !== undefined ? { relayState: request.relayState } : {}),
      forceAuthn: request.forceAuthn,
      isPassive: request.isPassive,
    },
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: seconds(deps.now) + CHALLENGE_TTL_SECONDS,
  };
  await deps.authorizations.putRequest(record);
  const location = new URL(`${deps.issuer}/oauth/v2/authorize`);
  location.searchParams.set('client_id', client.clientId);
  location.searchParams.set('saml_request', start.value);
  return { location: location.href };
}

async function loadSamlClient(deps: InteractionDeps, clientId: string): Promise<LoginClient<StoredSamlClient>> {
  const found = await findLoginClient(deps, clientId);
  if (found?.client.protocol !== 'saml') throw new InvalidRequest(`"${clientId.slice(0, 80)}" is not a SAML client of this issuer`);
  return { client: found.client, application: found.application };
}
