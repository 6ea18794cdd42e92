import { samlUrls } from '../clients/saml-clients';
import type { StoredSamlClient } from '../clients/model';
import { InvalidRequest } from '../errors';
import type { LoginClient } from '../login/clients';
import { seconds, type InteractionDeps } from '../login/deps';
import { handleId, handleMatches } from '../login/handles';
import type { AuthorizationRequestRecord, LoginResult, SamlReturn } from '../login/model';
import type { AuthorizeOutcome, BrowserState, SamlForm } from '../login/outcome';
import { liveSession, rememberSession } from '../login/sessions';
import { answeredLogin, finishRequest, loginStep, samlReturnOf, toLoginPage } from '../login/states';
import { beginUpstream, brokers, choicePageUrl, recordUpstreamFailure, routeUpstream, UpstreamFailure, type BrokeringDeps, type UpstreamRoute } from '../login/upstream';
import { errorResponse, STATUS, successResponse } from './response';
import type { SamlKeyVault } from './signing-keys';

/**
 * The SAML side of a login at the authorization endpoint: its start, from the request the SSO URL
 * received (`sso.ts`), and its finisher, the SAML Response posted to the ACS URL.
 *
 * Rules, in the order they are checked:
 * 1. The browser brings the single-use `saml_request` handle of a `received` request of this client.
 * 2. A live browser session logs the end user in, unless the request is `ForceAuthn`; without one,
 *    an `IsPassive` request answers NoPassive, and an application without `loginUrl` sends the
 *    browser to its upstream identity provider (`login/upstream.ts`) or, having none, answers AuthnFailed.
 * 3. Otherwise the browser goes to the application's `loginUrl`, bound to this browser by a cookie.
 * 4. A SAML login never asks consent. A refused login answers an error Response (Responder /
 *    AuthnFailed); an accepted one a signed Response, NameID by the client's type.
 */

/** What a login that ends in a SAML Response needs besides the engine's: the client keys to sign it. */
export interface SamlLoginDeps extends InteractionDeps {
  readonly samlKeys: SamlKeyVault;
}

export async function startSamlLogin(
  deps: SamlLoginDeps & BrokeringDeps,
  { client, application }: LoginClient<StoredSamlClient>,
  handle: string,
  browser: BrowserState,
): Promise<AuthorizeOutcome> {
  const id = handleId(handle);
  const record = id && (await deps.authorizations.getRequest(client.environmentId, id));
  if (!record || record.clientRef !== client.id || record.status !== 'received' || !(await handleMatches(deps.hasher, handle, record.samlStartHash))) {
    throw new InvalidRequest('this SAML sign-in is unknown or already under way; start it again from the service provider');
  }
  const saml = samlReturnOf(record);
  const session = saml.forceAuthn ? undefined : await liveSession(deps, client.environmentId, browser.sessionOf(client.environmentId));
  const now = seconds(deps.now);
  const loginUrl = application.loginUrl;
  const route: UpstreamRoute | undefined =
    !session && !loginUrl && !saml.isPassive && brokers(deps) ? await routeUpstream(deps, client.environmentId, application.id, {}) : undefined;
  const upstream = route?.kind === 'connection' || route?.kind === 'choose';
  if (!session && (saml.isPassive || (!loginUrl && !upstream))) {
    if (!(await deps.authorizations.transitionRequest(record.environmentId, record.id, 'received', { status: 'done' }, now))) {
      throw new InvalidRequest('this SAML sign-in is already under way');
    }
    const [second, message] = saml.isPassive ? [STATUS.noPassive, 'the end user is not logged in'] : [STATUS.authnFailed, 'the application has no loginUrl to log end users in'];
    return { location: saml.acsUrl, form: samlErrorResponse(deps, client, saml, second, message) };
  }
  const step = await loginStep(deps, record.id, session);
  if (route?.kind === 'connection' && brokers(deps)) {
    let begun: Awaited<ReturnType<typeof beginUpstream>>;
    try {
      begun = await beginUpstream(deps, record, route.connection);
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      await recordUpstreamFailure(deps, record, route.connection, error);
      await deps.authorizations.transitionRequest(record.environmentId, record.id, 'received', { status: 'done' }, now);
      return { location: saml.acsUrl, form: samlErrorResponse(deps, client, saml, STATUS.authnFailed, 'the identity provider could not be reached') };
    }
    if (!(await deps.authorizations.transitionRequest(record.environmentId, record.id, 'received', { ...step.changes, upstream: begun.upstream }, now))) {
      throw new InvalidRequest('this SAML sign-in is already under way');
    }
    return { location: begun.location, binding: step.binding };
  }
  const moved = await deps.authorizations.transitionRequest(record.environmentId, record.id, 'received', step.changes, now);
  if (!moved) throw new InvalidRequest('this SAML sign-in is already under way');
  if (route?.kind === 'choose') return { location: choicePageUrl(deps.issuer, record), binding: step.binding };
  if (step.challenge !== undefined && loginUrl) return toLoginPage(loginUrl, step.challenge, step.binding);
  return finishSamlLogin(deps, client, moved);
}

/** The finisher: the request is done (once), the session is remembered, and the SP gets its Response. */
export async function finishSamlLogin(deps: SamlLoginDeps, client: StoredSamlClient, record: AuthorizationRequestRecord): Promise<AuthorizeOutcome> {
  const saml = samlReturnOf(record);
  await finishRequest(deps, record);
  if (record.rejection) {
    const form = samlErrorResponse(deps, client, saml, STATUS.authnFailed, record.rejection.errorDescription ?? 'the end user could not be logged in');
    return { location: saml.acsUrl, form, clearBinding: record.id };
  }
  const login = answeredLogin(record);
  const { sessionId, session } = await rememberSession(deps, record, login);
  return { location: saml.acsUrl, form: await samlLoginResponse(deps, client, record, saml, login, sessionId), ...(session ? { session } : {}), clearBinding: record.id };
}

/** The success Response for a login: NameID by the client's type, attributes of the end user. */
async function samlLoginResponse(
  deps: SamlLoginDeps,
  client: StoredSamlClient,
  record: AuthorizationRequestRecord,
  saml: SamlReturn,
  login: LoginResult,
  sessionId: string,
): Promise<SamlForm> {
  const context = responseContext(deps, client, saml);
  const user = await deps.users.getUser(record.environmentId, login.userId);
  // Latchkey keeps e-mail addresses but no phone numbers or user names: those types, and the
  // external user ID, name the end user by the subject ID the application vouched for.
  const nameId = client.nameIdType === 'email' ? user?.email : login.subjectId;
  if (!nameId) {
    return samlForm(saml, errorResponse(context, { top: STATUS.responder, second: STATUS.invalidNameIdPolicy, message: 'the end user has no e-mail address' }));
  }
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
    { signResponse: client.signResponse === true },
  );
  return samlForm(saml, xml);
}

/** The error Response for a refused or impossible login. */
function samlErrorResponse(deps: InteractionDeps, client: StoredSamlClient, saml: SamlReturn, second: string, message: string): SamlForm {
  return samlForm(saml, errorResponse(responseContext(deps, client, saml), { top: STATUS.responder, second, message }));
}

function responseContext(deps: InteractionDeps, client: StoredSamlClient, saml: SamlReturn) {
  return {
    idpEntityId: samlUrls(deps.issuer, client.clientId).idpEntityId,
    spEntityId: client.spEntityId,
    acsUrl: saml.acsUrl,
    inResponseTo: saml.requestId,
    nowMs: deps.now(),
  };
}

function samlForm(saml: SamlReturn, xml: string): SamlForm {
  return { action: saml.acsUrl, fields: { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'), ...(saml.relayState !== undefined ? { RelayState: saml.relayState } : {}) } };
}
