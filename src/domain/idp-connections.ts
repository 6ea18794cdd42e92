import { InvalidRequest, NotFound } from './errors';
import { newId } from './ids';
import { requirePermission, type Caller } from './caller';
import type { ApplicationStore } from './applications';
import type { Clock } from './primitives';
import { revokingResetTime } from './revoking-resets';
import { checkOidcSettings, type OidcConnectionInput, type OidcConnectionSettings } from './federation/oidc-settings';
import {
  type SamlConnectionDeps,
  type SamlConnectionInput,
  type SamlConnectionSettings,
  type SamlConnectionView,
  samlConnectionSettings,
  samlConnectionView,
} from './federation/saml/connection';

/**
 * IDP connections: how the end users of an environment are authenticated.
 * - `delegated`: a third party authenticated them and a trusted service account vouches for them.
 * - Upstream types (`UPSTREAM_TYPES`): Latchkey sends the browser of an application without a
 *   `loginUrl` to the connection's identity provider and brokers its answer
 *   (`src/domain/login/upstream.ts`). `oidc` is an OpenID Connect provider, `saml` a SAML 2.0
 *   identity provider (`src/domain/federation/saml/`), Latchkey being its service provider
 *   (`src/domain/federation/`). A further upstream type adds its name to `UPSTREAM_TYPES`, its settings
 *   to `IdpConnection` with a `check…Settings` function called from `settingsOf` below, and its
 *   protocol to the `UpstreamProtocols` the composition root wires.
 *
 * Rules this module enforces:
 * - At most one `delegated` connection per environment. The store keys that connection by type and
 *   creates with a conditional put, so two concurrent creations cannot both succeed; upstream
 *   connections are keyed by ID, any number of them.
 * - An upstream connection's `emailDomains` are lower-case domain names, each claimed by at most one
 *   upstream connection of the environment, so routing by email address is never ambiguous.
 * - Secrets (an OIDC client secret or private key) go to the connection secret vault; the record
 *   keeps the reference only, and no answer ever carries them.
 * - A connection serves only the applications assigned to it, and only while it is enabled.
 *   Disabling it dates a revoking reset on it (`tokensValidAfter`, `connectionResetTime`), so what
 *   its users held before stays refused once it is enabled again.
 * - Every assigned application exists when it is assigned (a later deletion leaves a harmless
 *   dangling ID: application IDs are never reused).
 */

export const IDP_CONNECTION_TYPES = ['delegated', 'oidc', 'saml'] as const;
export type IdpConnectionType = (typeof IDP_CONNECTION_TYPES)[number];
/** The types whose end users log in at an upstream identity provider through Latchkey. */
export const UPSTREAM_TYPES: readonly IdpConnectionType[] = ['oidc', 'saml'];
export type UpstreamConnectionType = Exclude<IdpConnectionType, 'delegated'>;

export const isUpstream = (connection: Pick<IdpConnection, 'type'>): boolean => UPSTREAM_TYPES.includes(connection.type);

export type { ConnectionSecretRef, ConnectionSecretVault } from './federation/connection-secrets';
import type { ConnectionSecretVault } from './federation/connection-secrets';

export interface IdpConnection {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly type: IdpConnectionType;
  readonly name: string;
  readonly enabled: boolean;
  /** The applications whose end users this connection may vouch for. */
  readonly applicationIds: readonly string[];
  /** Upstream types: the email domains (lower case) whose users this connection logs in, for the choice page and `login_hint`. */
  readonly emailDomains?: readonly string[];
  /** Upstream types: a first login may join an existing user of the environment with the same email, if the upstream verified it. */
  readonly linkByVerifiedEmail?: boolean;
  /** Type `oidc`: the upstream OpenID Connect provider. */
  readonly oidc?: OidcConnectionSettings;
  /** Type `saml`: the upstream SAML identity provider, and Latchkey's service provider for it. */
  readonly saml?: SamlConnectionSettings;
  /**
   * ISO 8601 with milliseconds, as `EndUser.tokensValidAfter`: set by disabling the connection; every
   * token, refresh token and session of its users dated at or before it is refused, so enabling the
   * connection again brings none of them back.
   */
  readonly tokensValidAfter?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The fields a change may set. */
export type IdpConnectionUpdate = Partial<
  Pick<IdpConnection, 'name' | 'enabled' | 'applicationIds' | 'emailDomains' | 'linkByVerifiedEmail' | 'oidc' | 'saml' | 'tokensValidAfter'>
>;

export interface IdpConnectionStore {
  /** Fails with `Conflict` when the environment already has a connection of that type. */
  createIdpConnection(connection: IdpConnection): Promise<void>;
  listIdpConnections(environmentId: string): Promise<IdpConnection[]>;
  getIdpConnectionByType(environmentId: string, type: IdpConnectionType): Promise<IdpConnection | undefined>;
  /** Changes the connection (the delegated one: of that type) only if it still has the given ID; undefined otherwise. */
  updateIdpConnection(
    environmentId: string,
    connection: Pick<IdpConnection, 'id' | 'type'>,
    changes: IdpConnectionUpdate & { updatedAt: string },
  ): Promise<IdpConnection | undefined>;
  deleteIdpConnection(environmentId: string, connection: Pick<IdpConnection, 'id' | 'type'>): Promise<boolean>;
}

export interface IdpConnectionDeps extends Pick<SamlConnectionDeps, 'samlKeys' | 'samlMetadata'> {
  readonly connections: IdpConnectionStore;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly connectionSecrets: ConnectionSecretVault;
  readonly now: Clock;
  readonly issuer: string;
}

export interface IdpConnectionInput extends OidcConnectionInput, SamlConnectionInput {
  type: IdpConnectionType;
  name?: string;
  /** Default `true`: creating a connection is asking for it to work. */
  enabled?: boolean;
  applicationIds?: string[];
  emailDomains?: string[];
  linkByVerifiedEmail?: boolean;
}

export type IdpConnectionChanges = Partial<Omit<IdpConnectionInput, 'type'>>;

/** What the API answers: the record without secret references, with the redirect URI to register upstream. */
export type IdpConnectionView = Omit<IdpConnection, 'oidc' | 'saml'> &
  Partial<Omit<OidcConnectionSettings, 'secret'>> & { readonly redirectUri?: string; readonly backchannelLogoutUri?: string } & Partial<SamlConnectionView>;

const DEFAULT_NAMES: Record<IdpConnectionType, string> = { delegated: 'Delegated authentication', oidc: 'OpenID Connect', saml: 'SAML' };
const MAX_APPLICATIONS = 100;
const MAX_EMAIL_DOMAINS = 50;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The one redirect URI every OIDC connection registers at its provider. */
export const upstreamCallbackUri = (issuer: string): string => `${issuer}/oauth/v2/idp/callback`;

export function viewOf(connection: IdpConnection, issuer: string): IdpConnectionView {
  const { oidc, saml, ...rest } = connection;
  if (saml) return { ...rest, ...samlConnectionView(issuer, connection, saml) };
  if (!oidc) return rest;
  const { secret: _secret, ...settings } = oidc;
  const backchannel = new URL(`${issuer}/oauth/v2/idp/backchannel-logout`);
  backchannel.searchParams.set('environment', connection.environmentId);
  backchannel.searchParams.set('connection', connection.id);
  return { ...rest, ...settings, redirectUri: upstreamCallbackUri(issuer), backchannelLogoutUri: backchannel.href };
}

export async function createIdpConnection(deps: IdpConnectionDeps, caller: Caller, input: IdpConnectionInput): Promise<IdpConnectionView> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  if (!IDP_CONNECTION_TYPES.includes(input.type)) throw invalid('type', `must be one of ${IDP_CONNECTION_TYPES.join(', ')}`);
  const name = input.name ?? DEFAULT_NAMES[input.type];
  checkName(name);
  const upstream = isUpstream(input);
  if (!upstream) refuseUpstreamFields(input);
  const id = newId('idp');
  const settings = await settingsOf(deps, caller.environmentId, id, input.type, input, undefined);
  const applicationIds = await checkApplications(deps, caller.environmentId, input.applicationIds ?? []);
  const emailDomains = upstream ? await checkEmailDomains(deps, caller.environmentId, id, input.emailDomains ?? []) : [];
  const now = new Date(deps.now()).toISOString();
  const connection: IdpConnection = {
    id,
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    type: input.type,
    name,
    enabled: input.enabled ?? true,
    applicationIds,
    ...(upstream ? { emailDomains, linkByVerifiedEmail: input.linkByVerifiedEmail ?? false } : {}),
    ...settings,
    createdAt: now,
    updatedAt: now,
  };
  await deps.connections.createIdpConnection(connection);
  return viewOf(connection, deps.issuer);
}

export async function listIdpConnections(deps: Pick<IdpConnectionDeps, 'connections' | 'issuer'>, caller: Caller): Promise<IdpConnectionView[]> {
  requirePermission(caller, 'IDP_CONNECTIONS_READ');
  return (await deps.connections.listIdpConnections(caller.environmentId)).map((connection) => viewOf(connection, deps.issuer));
}

export async function getIdpConnection(deps: Pick<IdpConnectionDeps, 'connections' | 'issuer'>, caller: Caller, id: string): Promise<IdpConnectionView> {
  requirePermission(caller, 'IDP_CONNECTIONS_READ');
  return viewOf(await find(deps, caller.environmentId, id), deps.issuer);
}

export async function updateIdpConnection(deps: IdpConnectionDeps, caller: Caller, id: string, changes: IdpConnectionChanges): Promise<IdpConnectionView> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  if (changes.name !== undefined) checkName(changes.name);
  const connection = await find(deps, caller.environmentId, id);
  if (!isUpstream(connection)) refuseUpstreamFields(changes);
  const settings = await settingsOf(deps, caller.environmentId, id, connection.type, changes, connection);
  const applicationIds = changes.applicationIds && (await checkApplications(deps, caller.environmentId, changes.applicationIds));
  const emailDomains = changes.emailDomains && (await checkEmailDomains(deps, caller.environmentId, id, changes.emailDomains));
  const updated = await deps.connections.updateIdpConnection(caller.environmentId, connection, {
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
    ...(changes.enabled === false ? { tokensValidAfter: new Date(connectionResetTime(connection, deps.now())).toISOString() } : {}),
    ...(applicationIds ? { applicationIds } : {}),
    ...(emailDomains ? { emailDomains } : {}),
    ...(changes.linkByVerifiedEmail !== undefined ? { linkByVerifiedEmail: changes.linkByVerifiedEmail } : {}),
    ...settings,
    updatedAt: new Date(deps.now()).toISOString(),
  });
  if (!updated) throw notFound(id);
  return viewOf(updated, deps.issuer);
}

/**
 * The `tokensValidAfter` of disabling a connection now: past its own last reset (`revokingResetTime`)
 * and past the current second, since a user signed out in this second has its next tokens dated in
 * the next one, which the connection's users may hold already.
 */
export function connectionResetTime(connection: Pick<IdpConnection, 'tokensValidAfter'>, nowMs: number): number {
  return Math.max(revokingResetTime(connection, nowMs), (Math.floor(nowMs / 1000) + 1) * 1000);
}

export async function deleteIdpConnection(deps: Pick<IdpConnectionDeps, 'connections' | 'connectionSecrets'>, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'IDP_CONNECTIONS_EDIT');
  const connection = await find(deps, caller.environmentId, id);
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // connection is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.connections.deleteIdpConnection(caller.environmentId, connection);
  if (connection.oidc?.secret) await deps.connectionSecrets.removeOf(caller.environmentId, connection.id);
}

/**
 * The type's own settings, checked, with any secret put in the vault: the one place a further
 * upstream type adds its branch. `current` is the stored connection on an update.
 */
async function settingsOf(
  deps: IdpConnectionDeps,
  environmentId: string,
  id: string,
  type: IdpConnectionType,
  input: Partial<IdpConnectionInput>,
  current: IdpConnection | undefined,
): Promise<Pick<IdpConnection, 'oidc' | 'saml'>> {
  const samlGiven = SAML_FIELDS.filter((key) => input[key as keyof IdpConnectionInput] !== undefined);
  if (type !== 'saml' && samlGiven.length > 0) throw invalid(samlGiven[0]!, 'is only for connections of type "saml"');
  if (type === 'saml') {
    const oidcGiven = OIDC_FIELDS.filter((key) => input[key as keyof IdpConnectionInput] !== undefined);
    if (oidcGiven.length > 0) throw invalid(oidcGiven[0]!, 'is only for connections of type "oidc"');
    if (current && samlGiven.length === 0) return {};
    return { saml: await samlConnectionSettings(deps, { id, environmentId }, input, current?.saml) };
  }
  const given = (Object.keys(input) as (keyof OidcConnectionInput)[]).filter((key) => OIDC_FIELDS.includes(key) && input[key] !== undefined);
  if (type !== 'oidc') {
    if (given.length > 0) throw invalid(given[0]!, `is only for connections of type "oidc"`);
    return {};
  }
  if (current && given.length === 0) return {};
  return { oidc: await checkOidcSettings(deps, environmentId, id, input, current?.oidc) };
}

/** A connection that is not upstream takes neither `emailDomains` nor `linkByVerifiedEmail`. */
function refuseUpstreamFields(input: Pick<IdpConnectionInput, 'emailDomains' | 'linkByVerifiedEmail'>): void {
  if (input.emailDomains !== undefined || input.linkByVerifiedEmail !== undefined) {
    throw invalid(input.emailDomains !== undefined ? 'emailDomains' : 'linkByVerifiedEmail', 'is only for connections to an upstream identity provider');
  }
}

const OIDC_FIELDS: readonly string[] = ['issuer', 'clientId', 'clientSecret', 'privateKeyJwk', 'scopes', 'claimMapping'];
const SAML_FIELDS: readonly string[] = ['idpMetadataXml', 'idpMetadataUrl', 'nameIdFormat', 'attributeMapping'];

/** Lower case, unique, and claimed by no other upstream connection of the environment. */
async function checkEmailDomains(deps: Pick<IdpConnectionDeps, 'connections'>, environmentId: string, id: string, domains: readonly string[]): Promise<string[]> {
  const unique = [...new Set(domains.map((domain) => domain.trim().toLowerCase()))];
  if (unique.length > MAX_EMAIL_DOMAINS) throw invalid('emailDomains', `must list at most ${MAX_EMAIL_DOMAINS} domains`);
  const bad = unique.find((domain) => !DOMAIN.test(domain));
  if (bad !== undefined) throw invalid('emailDomains', `"${bad.slice(0, 80)}" is not a domain name`);
  const others = (await deps.connections.listIdpConnections(environmentId)).filter((connection) => connection.id !== id);
  const taken = unique.find((domain) => others.some((connection) => connection.emailDomains?.includes(domain)));
  if (taken !== undefined) throw invalid('emailDomains', `"${taken}" is already an email domain of another connection`);
  return unique;
}

/** The environment's connection with this ID, or undefined. */
export async function idpConnectionById(connections: Pick<IdpConnectionStore, 'listIdpConnections'>, environmentId: string, id: string): Promise<IdpConnection | undefined> {
  return (await connections.listIdpConnections(environmentId)).find((connection) => connection.id === id);
}

async function find(deps: Pick<IdpConnectionDeps, 'connections'>, environmentId: string, id: string): Promise<IdpConnection> {
  const connection = await idpConnectionById(deps.connections, environmentId, id);
  if (!connection) throw notFound(id);
  return connection;
}

async function checkApplications(deps: IdpConnectionDeps, environmentId: string, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length > MAX_APPLICATIONS) throw invalid('applicationIds', `must list at most ${MAX_APPLICATIONS} applications`);
  const found = await Promise.all(unique.map((id) => deps.applications.getApplication(environmentId, id)));
  const missing = unique.filter((_, index) => !found[index]);
  if (missing.length > 0) throw invalid('applicationIds', `name applications that do not exist: ${missing.join(', ')}`);
  return unique;
}

function checkName(name: string): void {
  if (!name.trim() || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}

function notFound(id: string): NotFound {
  return new NotFound(`IDP connection "${id}"`);
}
