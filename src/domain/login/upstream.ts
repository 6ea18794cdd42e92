import type { AuditDeps } from '../audit';
import { recordAuditEvent } from '../audit';
import { findOrCreateEndUser, type EndUser } from '../end-users';
import { EndUserDisabled, InvalidRequest } from '../errors';
import { idpConnectionById, isUpstream, type IdpConnection, type UpstreamConnectionType } from '../idp-connections';
import { earliestIssuedAt, latestReset } from '../revoking-resets';
import { seconds, type InteractionDeps } from './deps';
import { handleId, handleMatches, newHandle } from './handles';
import type { AuthorizationRequestRecord, LoginResult, UpstreamLeg, UpstreamSessionLink } from './model';
import type { BrowserState } from './outcome';
import { checkBrowserBinding } from './states';

/**
 * Logging in at an upstream identity provider: the engine's side of brokering, whatever protocol the
 * provider speaks. An application without a `loginUrl` has its end users log in through its upstream
 * IDP connections instead of a login page; the upstream's answer enters the engine as an accepted
 * login (the same `login` → `login_answered` move an accepted login challenge makes), so either
 * finisher, OIDC or SAML, ends the request as usual.
 *
 * Rules, in the order they are checked:
 * 1. The candidates are the enabled upstream connections assigned to the application. `idp_hint`
 *    must name one of them (never another application's: no open redirect through a hint); failing
 *    that, a `login_hint` email whose domain one of them lists picks it; failing that, a single
 *    candidate is used; otherwise the browser goes to the choice page.
 * 2. The upstream leg carries `state` = `{environmentId}.{requestId}.{secret}`: the request keeps its
 *    keyed hash, with the connection and its issuer; the callback must bring it back to the browser
 *    that started the request (its binding cookie), while the request still waits in `login`.
 * 3. At the callback the connection must still exist, be enabled, be assigned to the application and
 *    be the one the state names (mix-up defence); the protocol checks the upstream's answer.
 * 4. End users are found or created by (connection, upstream subject). An upstream email joins an
 *    existing user of another connection only if the connection says `linkByVerifiedEmail` and the
 *    upstream marked the email verified.
 * 5. Every failure ends the flow at the client with a generic error (`access_denied`, or
 *    `temporarily_unavailable` when the upstream could not be reached); the detail goes to the log and
 *    the audit log (`idp_connection.login_failed`).
 *
 * A protocol plugs in as an `UpstreamProtocol` under its connection type (`deps.upstreams`): `begin`
 * answers where to send the browser, and its callback handler calls `completeUpstreamLogin` with a
 * function that checks the upstream's answer and returns the identity.
 */

/** What an upstream identity provider said about the end user, already mapped by the connection's mapping. */
export interface UpstreamIdentity {
  /** The upstream's subject (`sub`, NameID): with the connection, the user's key. */
  readonly subject: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly name?: string;
  readonly amr?: readonly string[];
  /** Kept with the Latchkey session for upstream logout (encrypted by the protocol if secret). */
  readonly upstreamSession?: UpstreamSessionLink;
}

/** An upstream login that failed: `code` goes to the audit log, `detail` to the log; the client hears neither. */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(
    readonly code: string,
    detail: string,
    readonly error: 'access_denied' | 'temporarily_unavailable' = 'access_denied',
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** The start of an upstream login, for the protocol. */
export interface UpstreamStart {
  readonly environmentId: string;
  readonly requestId: string;
  /** Sent upstream and brought back to the callback. */
  readonly state: string;
  readonly loginHint?: string;
}

/** A protocol Latchkey speaks with upstream identity providers. */
export interface UpstreamProtocol {
  /** Where the browser goes to log in at the connection's provider. Throws `UpstreamFailure`. */
  begin(connection: IdpConnection, start: UpstreamStart): Promise<string>;
}

export type UpstreamProtocols = Partial<Record<UpstreamConnectionType, UpstreamProtocol>>;

/** What brokering needs besides the engine: the protocols, and the audit log for failures. */
export interface UpstreamDeps extends InteractionDeps, AuditDeps {
  readonly upstreams: UpstreamProtocols;
}

export type UpstreamRoute =
  | { readonly kind: 'none' }
  | { readonly kind: 'bad_hint' }
  | { readonly kind: 'choose'; readonly connections: readonly IdpConnection[] }
  | { readonly kind: 'connection'; readonly connection: IdpConnection };

export interface UpstreamHints {
  readonly loginHint?: string;
  readonly idpHint?: string;
}

/** The entry points that may start an upstream login take these optionally: without them there is no brokering (domain tests of the engine alone). */
export type BrokeringDeps = Partial<Pick<UpstreamDeps, 'upstreams' | 'audit' | 'retentionDays'>>;

export function brokers<T extends InteractionDeps & BrokeringDeps>(deps: T): deps is T & UpstreamDeps {
  return deps.upstreams !== undefined && deps.audit !== undefined && deps.retentionDays !== undefined;
}

/** The enabled upstream connections assigned to an application. */
export async function upstreamConnectionsOf(deps: Pick<InteractionDeps, 'connections'>, environmentId: string, applicationId: string): Promise<IdpConnection[]> {
  return (await deps.connections.listIdpConnections(environmentId)).filter(
    (connection) => isUpstream(connection) && connection.enabled && connection.applicationIds.includes(applicationId),
  );
}

/** Rule 1: which connection, or the choice page. */
export async function routeUpstream(deps: Pick<InteractionDeps, 'connections'>, environmentId: string, applicationId: string, hints: UpstreamHints): Promise<UpstreamRoute> {
  const connections = await upstreamConnectionsOf(deps, environmentId, applicationId);
  if (hints.idpHint !== undefined) {
    const hinted = connections.find((connection) => connection.id === hints.idpHint);
    return hinted ? { kind: 'connection', connection: hinted } : { kind: 'bad_hint' };
  }
  if (connections.length === 0) return { kind: 'none' };
  const byDomain = hints.loginHint === undefined ? undefined : connectionForEmail(connections, hints.loginHint);
  if (byDomain) return { kind: 'connection', connection: byDomain };
  if (connections.length === 1) return { kind: 'connection', connection: connections[0]! };
  return { kind: 'choose', connections };
}

/** The connection that lists the email address's domain. */
export function connectionForEmail(connections: readonly IdpConnection[], email: string): IdpConnection | undefined {
  const at = email.lastIndexOf('@');
  if (at < 1) return undefined;
  const domain = email
    .slice(at + 1)
    .trim()
    .toLowerCase();
  return connections.find((connection) => connection.emailDomains?.includes(domain));
}

/** Where the choice page is, for a request. */
export function choicePageUrl(issuer: string, record: Pick<AuthorizationRequestRecord, 'environmentId' | 'id'>): string {
  const url = new URL(`${issuer}/oauth/v2/idp/login`);
  url.searchParams.set('environment', record.environmentId);
  url.searchParams.set('request', record.id);
  return url.href;
}

/** Rule 2: the upstream leg of a request and where the browser goes. Throws `UpstreamFailure` when the provider cannot be reached. */
export async function beginUpstream(
  deps: Pick<UpstreamDeps, 'hasher' | 'upstreams'>,
  record: Pick<AuthorizationRequestRecord, 'environmentId' | 'id' | 'loginHint'>,
  connection: IdpConnection,
  loginHint?: string,
): Promise<{ location: string; upstream: UpstreamLeg }> {
  const protocol = deps.upstreams[connection.type as UpstreamConnectionType];
  if (!protocol) throw new UpstreamFailure('protocol_unavailable', `no protocol is wired for connection type ${connection.type}`, 'temporarily_unavailable');
  const handle = await newHandle(deps.hasher, record.id);
  const state = `${record.environmentId}.${handle.value}`;
  const hint = loginHint ?? record.loginHint;
  const location = await protocol.begin(connection, { environmentId: record.environmentId, requestId: record.id, state, ...(hint !== undefined ? { loginHint: hint } : {}) });
  return {
    location,
    upstream: {
      connectionId: connection.id,
      type: connection.type as UpstreamConnectionType,
      ...(connection.oidc ? { issuer: connection.oidc.issuer } : {}),
      stateHash: await deps.hasher.hash(state),
    },
  };
}

/** The choice page's answer: the browser goes upstream, or sees the page (again, with a message). */
export type UpstreamChoice =
  | { readonly location: string; readonly failure?: UpstreamFailure }
  | {
      readonly page: {
        readonly environmentId: string;
        readonly requestId: string;
        readonly connections: readonly { id: string; name: string }[];
        readonly askEmail: boolean;
        readonly message?: string;
      };
    };

/**
 * The choice page: with neither `email` nor `connection`, the page; with one, the upstream leg
 * begins (the request must still wait in `login`, in this browser, with no upstream answer yet).
 */
export async function chooseUpstream(
  deps: UpstreamDeps,
  input: { environmentId: string; requestId: string; email?: string; connectionId?: string },
  browser: BrowserState,
): Promise<UpstreamChoice> {
  const record = await deps.authorizations.getRequest(input.environmentId, input.requestId);
  if (record?.status !== 'login' || record.expiresAt <= seconds(deps.now)) throw new InvalidRequest('this sign-in is unknown or has expired; start it again from the application');
  await checkBrowserBinding(deps, browser, record);
  const connections = await upstreamConnectionsOf(deps, record.environmentId, record.applicationId);
  let chosen: IdpConnection | undefined;
  let message: string | undefined;
  if (input.connectionId !== undefined) {
    chosen = connections.find((connection) => connection.id === input.connectionId);
    if (!chosen) message = 'That identity provider is not available for this application.';
  } else if (input.email !== undefined) {
    chosen = connectionForEmail(connections, input.email);
    if (!chosen) message = 'No identity provider of this application serves that email address. Choose one below.';
  }
  if (!chosen) {
    return {
      page: {
        environmentId: record.environmentId,
        requestId: record.id,
        connections: connections.map(({ id, name }) => ({ id, name })),
        askEmail: connections.some((connection) => (connection.emailDomains?.length ?? 0) > 0),
        ...(message ? { message } : {}),
      },
    };
  }
  try {
    const { location, upstream } = await beginUpstream(deps, record, chosen, input.email);
    const moved = await deps.authorizations.transitionRequest(record.environmentId, record.id, 'login', { status: 'login', upstream }, seconds(deps.now));
    if (!moved) throw new InvalidRequest('this sign-in step has already been completed');
    return { location };
  } catch (error) {
    if (!(error instanceof UpstreamFailure)) throw error;
    return { location: (await failUpstreamLogin(deps, record, chosen, error)).redirectTo, failure: error };
  }
}

/** What a protocol's callback hands the engine: the state it received, and how to check the upstream's answer. */
export interface UpstreamCallback {
  readonly type: UpstreamConnectionType;
  readonly state: string | undefined;
  /**
   * The browser, to check the request's binding cookie here. A protocol whose callback is a
   * cross-site POST (where `SameSite=Lax` cookies are not sent) passes none: the binding is then
   * checked only at the authorization endpoint, where the verifier must be redeemed.
   */
  readonly browser?: BrowserState;
  /** Checks the upstream's answer for this request and connection; throws `UpstreamFailure`. */
  verify(connection: IdpConnection, leg: UpstreamLeg): Promise<UpstreamIdentity>;
}

/** The callback's outcome: back to the authorization endpoint with a login verifier, and the failure to log, if any. */
export interface UpstreamCompletion {
  readonly redirectTo: string;
  readonly failure?: UpstreamFailure;
}

const STATE = /^([a-z]{2,4}_[a-z2-7]{26})\.([a-z]{2,4}_[a-z2-7]{26}\.[A-Za-z0-9_-]{43})$/;

/** Rules 2 to 5: the request the state names, the protocol's check, then the login is answered either way. */
export async function completeUpstreamLogin(deps: UpstreamDeps, callback: UpstreamCallback): Promise<UpstreamCompletion> {
  const match = callback.state ? STATE.exec(callback.state) : null;
  const environmentId = match?.[1];
  const id = handleId(match?.[2]);
  const record = environmentId && id ? await deps.authorizations.getRequest(environmentId, id) : undefined;
  const leg = record?.upstream;
  if (!record || !leg || leg.type !== callback.type || !(await handleMatches(deps.hasher, callback.state!, leg.stateHash))) {
    throw new InvalidRequest('this sign-in is unknown; start it again from the application');
  }
  if (record.status !== 'login' || record.expiresAt <= seconds(deps.now))
    throw new InvalidRequest('this sign-in has expired or was already completed; start it again from the application');
  if (callback.browser) await checkBrowserBinding(deps, callback.browser, record);
  const connection = await idpConnectionById(deps.connections, record.environmentId, leg.connectionId);
  try {
    if (!connection?.enabled || !connection.applicationIds.includes(record.applicationId) || connection.type !== leg.type) {
      throw new UpstreamFailure('connection_unavailable', `IDP connection ${leg.connectionId} is deleted, disabled or no longer assigned to application ${record.applicationId}`);
    }
    const identity = await callback.verify(connection, leg);
    const login = await upstreamLogin(deps, record, connection, identity);
    return { redirectTo: await answerLogin(deps, record, { login }) };
  } catch (error) {
    if (!(error instanceof UpstreamFailure)) throw error;
    return { ...(await failUpstreamLogin(deps, record, connection, error)), failure: error };
  }
}

/** Rule 4: the end user of an upstream identity, and the login the request is answered with. */
async function upstreamLogin(deps: UpstreamDeps, record: AuthorizationRequestRecord, connection: IdpConnection, identity: UpstreamIdentity): Promise<LoginResult> {
  if (!identity.subject || identity.subject.length > 255) throw new UpstreamFailure('subject_invalid', 'the upstream subject is empty or longer than 255 characters');
  const email = identity.email !== undefined && /^[^\s@]{1,64}@[^\s@]{1,255}$/.test(identity.email) ? identity.email : undefined;
  const name = identity.name?.trim() && identity.name.length <= 200 ? identity.name : undefined;
  const subject = {
    tenantId: record.tenantId,
    environmentId: record.environmentId,
    idpConnectionId: connection.id,
    subjectId: identity.subject,
    ...(email !== undefined ? { email, emailVerified: identity.emailVerified === true } : {}),
    ...(name !== undefined ? { name } : {}),
  };
  if (
    connection.linkByVerifiedEmail &&
    identity.emailVerified === true &&
    email !== undefined &&
    !(await deps.users.findSubject(record.environmentId, connection.id, identity.subject))
  ) {
    const existing = await findUserByEmail(deps, record.environmentId, connection.id, email);
    if (existing) await deps.users.claimSubject(record.environmentId, connection.id, identity.subject, existing.id);
  }
  let found: Awaited<ReturnType<typeof findOrCreateEndUser>>;
  try {
    found = await findOrCreateEndUser({ users: deps.users, now: deps.now }, subject);
  } catch (error) {
    if (error instanceof EndUserDisabled) throw new UpstreamFailure('user_disabled', 'the end user is disabled', 'access_denied', { cause: error });
    throw error;
  }
  // A user joined by email belongs to another connection: its reset is the one the login is dated after.
  const own = found.user.idpConnectionId === connection.id ? connection : await idpConnectionById(deps.connections, record.environmentId, found.user.idpConnectionId);
  return {
    userId: found.user.id,
    profileId: found.profile.id,
    subjectId: identity.subject,
    authTime: earliestIssuedAt(latestReset(found.user, own), deps.now()),
    remember: false,
    ...(identity.amr?.length ? { amr: [...identity.amr] } : {}),
    ...(identity.upstreamSession ? { upstream: identity.upstreamSession } : {}),
  };
}

/**
 * The user of another connection with this email, if exactly one has it (several: no link, rather
 * than a guess). Users of the same connection are other subjects of the same provider: never joined.
 */
async function findUserByEmail(deps: Pick<InteractionDeps, 'users'>, environmentId: string, connectionId: string, email: string): Promise<EndUser | undefined> {
  const wanted = email.toLowerCase();
  const matches: EndUser[] = [];
  let cursor: string | undefined;
  // The store has no email index; environments that link by email are read a page at a time.
  for (let page = 0; page < 50; page++) {
    const { items, cursor: nextCursor } = await deps.users.listUsers(environmentId, 100, cursor);
    matches.push(...items.filter((user) => user.idpConnectionId !== connectionId && !user.disabled && user.email?.toLowerCase() === wanted));
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return matches.length === 1 ? matches[0] : undefined;
}

/** Rule 5: the login is answered with a refusal the finisher turns into the client's error. */
async function failUpstreamLogin(
  deps: UpstreamDeps,
  record: AuthorizationRequestRecord,
  connection: IdpConnection | undefined,
  failure: UpstreamFailure,
): Promise<{ redirectTo: string }> {
  await recordUpstreamFailure(deps, record, connection, failure);
  const description =
    failure.error === 'temporarily_unavailable' ? 'the identity provider could not be reached; try again later' : 'the end user could not be logged in at the identity provider';
  return { redirectTo: await answerLogin(deps, record, { rejection: { error: failure.error, errorDescription: description } }) };
}

/** Rule 5's audit event: which connection failed, and the code of the check (never the detail). */
export async function recordUpstreamFailure(
  deps: Pick<UpstreamDeps, 'audit' | 'now' | 'retentionDays'>,
  record: Pick<AuthorizationRequestRecord, 'tenantId' | 'environmentId' | 'upstream'>,
  connection: IdpConnection | undefined,
  failure: UpstreamFailure,
): Promise<void> {
  await recordAuditEvent(deps, {
    tenantId: record.tenantId,
    environmentId: record.environmentId,
    actor: { type: 'system' },
    action: 'idp_connection.login_failed',
    target: { type: 'idp_connection', id: connection?.id ?? record.upstream?.connectionId ?? 'none' },
    outcome: 'failure',
    errorCode: failure.code,
  });
}

/** The `login` → `login_answered` move, as an accepted login challenge makes it; the browser redeems the verifier at the authorization endpoint. */
async function answerLogin(deps: InteractionDeps, record: AuthorizationRequestRecord, changes: Partial<AuthorizationRequestRecord>): Promise<string> {
  const verifier = await newHandle(deps.hasher, record.id);
  const now = seconds(deps.now);
  const moved = await deps.authorizations.transitionRequest(
    record.environmentId,
    record.id,
    'login',
    { ...changes, status: 'login_answered', loginVerifierHash: verifier.hash, expiresAt: Math.max(record.expiresAt, now + 60) },
    now,
  );
  if (!moved) throw new InvalidRequest('this sign-in step has already been completed');
  const redirectTo = new URL(`${deps.issuer}/oauth/v2/authorize`);
  redirectTo.searchParams.set('client_id', record.clientId);
  redirectTo.searchParams.set('login_verifier', verifier.value);
  return redirectTo.href;
}
