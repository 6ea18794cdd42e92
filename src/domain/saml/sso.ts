import type { StoredApplication } from '../applications';
import { samlUrls } from '../clients/saml-clients';
import type { StoredSamlClient } from '../clients/model';
import { InvalidRequest } from '../errors';
import { isId, newId, parseClientId } from '../ids';
import { CHALLENGE_TTL_SECONDS, seconds, type InteractionDeps } from '../authorization/deps';
import { newHandle } from '../authorization/handles';
import { requestedBy, type AuthorizationRequestRecord, type LoginResult } from '../authorization/model';
import { readAuthnRequest, REQUEST_MAX_AGE_SECONDS, type ReceivedRequest } from './authn-request';
import { errorResponse, STATUS, successResponse } from './response';

/**
 * The SSO URL of a SAML client (SAML profiles §4.1, Web Browser SSO, SP-initiated) and the end of a
 * SAML login. The login itself is the one of OpenID Connect: the SSO URL checks the AuthnRequest,
 * records it as an authorization request whose "return" is the ACS URL, and sends the browser to
 * the authorization endpoint, which finds the browser session (single sign-on) or asks the
 * application's login page, exactly as for an OIDC client.
 *
 * Rules, besides those of `authn-request.ts`:
 * 1. The client ID names a SAML client of an existing application; otherwise an error page, and
 *    nothing is ever posted to an ACS URL that was not checked.
 * 2. An AuthnRequest ID is used once per client: a conditional write records it until the request
 *    could no longer be fresh, so a replay within that window is refused.
 * 3. The handle the browser carries to the authorization endpoint is single use and names this
 *    request only (its keyed hash is on the record).
 * 4. A refused login answers an error Response (Responder / AuthnFailed) to the ACS URL; a passive
 *    request without a session answers NoPassive.
 */

export async function receiveAuthnRequest(deps: InteractionDeps, clientId: string, received: ReceivedRequest): Promise<{ location: string }> {
  const { client } = await loadSamlClient(deps, clientId);
  const urls = samlUrls(deps.issuer, client.clientId);
  const nowMs = deps.now();
  const request = readAuthnRequest(client, urls.ssoUrl, received, nowMs);
  if (!deps.replay) throw new TypeError('the SSO URL needs the replay store');
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

export async function loadSamlClient(deps: InteractionDeps, clientId: string): Promise<{ client: StoredSamlClient; application: StoredApplication }> {
  const parsed = parseClientId(clientId);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  const application = client && (await deps.applications.getApplication(client.environmentId, client.applicationId));
  if (client?.protocol !== 'saml' || !application) throw new InvalidRequest(`"${clientId.slice(0, 80)}" is not a SAML client of this issuer`);
  return { client, application };
}

/** An auto-submitted POST of a SAML message to the ACS URL (SAML bindings §3.5). */
export interface SamlForm {
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** The success Response for a login: NameID by the client's type, attributes of the end user. */
export async function samlLoginResponse(
  deps: InteractionDeps,
  client: StoredSamlClient,
  record: AuthorizationRequestRecord,
  login: LoginResult,
  sessionId: string,
): Promise<SamlForm> {
  const saml = record.saml!;
  const context = responseContext(deps, client, record);
  const user = await deps.users.getUser(record.environmentId, login.userId);
  // Latchkey keeps e-mail addresses but no phone numbers or user names: those types, and the
  // external user ID, name the end user by the subject ID the application vouched for.
  const nameId = client.nameIdType === 'email' ? user?.email : login.subjectId;
  if (!nameId) {
    return samlForm(saml, errorResponse(context, { top: STATUS.responder, second: STATUS.invalidNameIdPolicy, message: 'the end user has no e-mail address' }));
  }
  if (!deps.samlKeys) throw new TypeError('ending a SAML login needs the SAML key vault');
  // A client registered before clients had keys of their own: two rotation calls give it one.
  if (!client.signingKey) throw new InvalidRequest('this SAML client has no signing key of its own yet: its owner must roll its certificate over first');
  const privateKey = await deps.samlKeys.privateKey(client.clientId, client.signingKey);
  const xml = successResponse(
    context,
    {
      nameId,
      nameIdType: client.nameIdType,
      sessionIndex: sessionId,
      authTime: login.authTime,
      ...(login.amr ? { amr: login.amr } : {}),
      attributes: { email: user?.email, name: user?.name, userId: login.userId, profileId: login.profileId },
    },
    { privateKey, certificatePem: client.signingKey.certificate },
  );
  return samlForm(saml, xml);
}

/** The error Response for a refused or impossible login. */
export function samlErrorResponse(deps: InteractionDeps, client: StoredSamlClient, record: AuthorizationRequestRecord, second: string, message: string): SamlForm {
  return samlForm(record.saml!, errorResponse(responseContext(deps, client, record), { top: STATUS.responder, second, message }));
}

function responseContext(deps: InteractionDeps, client: StoredSamlClient, record: AuthorizationRequestRecord) {
  return {
    idpEntityId: samlUrls(deps.issuer, client.clientId).idpEntityId,
    spEntityId: client.spEntityId,
    acsUrl: record.saml!.acsUrl,
    inResponseTo: record.saml!.requestId,
    nowMs: deps.now(),
  };
}

function samlForm(saml: NonNullable<AuthorizationRequestRecord['saml']>, xml: string): SamlForm {
  return { action: saml.acsUrl, fields: { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'), ...(saml.relayState !== undefined ? { RelayState: saml.relayState } : {}) } };
}
