import { ApplicationNotFound, DelegationNotConfigured, InvalidRequest } from './errors';
import { newId } from './ids';
import { requirePermission, type Caller } from './caller';
import type { ApplicationStore, StoredApplication } from './applications';
import type { IdpConnection, IdpConnectionStore } from './idp-connections';
import { findOrCreateEndUser, type EndUser, type EndUserStore, type Profile } from './end-users';
import { enrichClaims, type EnrichmentDeps } from './enrichment';
import { mintAccessToken, type MinterDeps } from './minter';
import type { AccessTokenClaims } from '../access-token-claims';
import { fitsInKey, MAX_KEY_VALUE_BYTES } from './key-values';
import { latestReset } from './revoking-resets';

/**
 * Delegated access tokens: a trusted service account vouches for an end user that a
 * third party authenticated, and gets a Latchkey end-user token for one of its applications.
 *
 * Rules, in the order they are checked (nothing is written before all of them pass):
 * 1. The caller holds `GENERATE_DELEGATED_ACCESS_TOKEN` on `latchkey`; tenant and environment are the
 *    caller's (from its token), never from the input.
 * 2. The environment has a `delegated` IDP connection, it is enabled, the application exists and the
 *    connection is assigned to it; each failing condition has its own error code.
 * Then the user and profile are found or created (see end-users.ts; a disabled user gets nothing,
 * `user_disabled`, and nothing of it is changed); enrichment runs under the application's policy (see enrichment.ts) and the
 * token is signed, dated after the user's last sign-out everywhere (at most a second ahead), so
 * a token issued in that second is not refused as an earlier one.
 *
 * Claims: `iss`, `sub` (user ID), `aud` (the application ID: the token is for that application's
 * end user), `iat`, `exp` (the application's end-user token lifetime), `jti`, `subjectType`
 * `EndUserAccount`, `tenantId`, `environmentId`, `applicationId`, `profileId`, `sessionId` (new for
 * every generation), `name` (given, else known, else the email's local part, else the user ID),
 * `email` when known, `extensions` when enrichment answered.
 */

export interface DelegatedTokenDeps extends MinterDeps {
  /** The delegated token's reads before anything is written, in one round trip where the store can. */
  readonly reads: DelegationReads;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
  readonly connections: Pick<IdpConnectionStore, 'getIdpConnectionByType'>;
  readonly users: EndUserStore;
  readonly enrichment: EnrichmentDeps;
}

/** What a delegated token reads: the environment's delegated connection, the application and the subject's user. */
export interface DelegationReads {
  readDelegation(environmentId: string, applicationId: string, subjectId: string, uniqueProfileIdentifier?: string): Promise<DelegationRead>;
}

export interface DelegationRead {
  readonly connection?: IdpConnection;
  readonly application?: StoredApplication;
  /** The user the subject is claimed for under that connection, with its user and profile records as far as they exist. */
  readonly subject?: { readonly userId: string; readonly user?: EndUser; readonly profile?: Profile };
}

export interface DelegatedTokenInput {
  readonly applicationId: string;
  /** The third party's ID for the end user: a UUID, text or a number. */
  readonly subjectId: string | number;
  readonly uniqueProfileIdentifier?: string | number;
  readonly email?: string;
  /** Said only by an accepted login challenge (the delegated-token body does not take it). */
  readonly emailVerified?: boolean;
  readonly name?: string;
}

export interface DelegatedToken {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresInSeconds: number;
  /** The token's claims. */
  readonly payload: Readonly<AccessTokenClaims>;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
/** Printable, no control characters; long enough for any third party's IDs. */
const IDENTIFIER = /^[^\p{Cc}]{1,256}$/u;

export async function generateDelegatedAccessToken(deps: DelegatedTokenDeps, caller: Caller, input: DelegatedTokenInput): Promise<DelegatedToken> {
  requirePermission(caller, 'GENERATE_DELEGATED_ACCESS_TOKEN');
  const { tenantId, environmentId } = caller;
  const { application, connection, user, profile, subjectId } = await resolveDelegatedSubject(deps, caller, input, deps.reads);
  const email = input.email ?? user.email;
  const name = input.name ?? user.name ?? email?.slice(0, email.indexOf('@')) ?? user.id;
  const sessionId = newId('ses');

  const extensions = await enrichClaims(deps.enrichment, application, {
    tenant_id: tenantId,
    environment_id: environmentId,
    application_id: application.id,
    user_id: user.id,
    external_subject_id: subjectId,
    session_id: sessionId,
    subject_type: 'EndUserAccount',
    profile_id: profile.id,
    name,
    email: email ?? null,
  });

  const token = await mintAccessToken(deps, {
    subject: {
      subjectType: 'EndUserAccount',
      id: user.id,
      applicationId: application.id,
      profileId: profile.id,
      sessionId,
      name,
      ...(email !== undefined ? { email } : {}),
    },
    tenantId,
    environmentId,
    // The token is for the application's end user: its audience is the application.
    audience: { resources: [], otherwise: application.id },
    lifetimeSeconds: application.endUserTokenTtlSeconds,
    validAfter: latestReset(user, connection),
    ...(extensions !== undefined ? { extra: { extensions } } : {}),
  });
  return { accessToken: token.accessToken, tokenType: 'Bearer', expiresInSeconds: token.expiresInSeconds, payload: token.claims };
}

/**
 * Rule 2 and the user and profile of the subject: the one code path by which a vouched-for subject
 * becomes an end user and a profile, for delegated tokens and for accepted login challenges alike.
 * The caller's permission is checked by each caller first. With `reads` (delegated tokens), the
 * connection, application, subject, user and profile come from its one read rather than one read each.
 */
export async function resolveDelegatedSubject(
  deps: Pick<DelegatedTokenDeps, 'applications' | 'connections' | 'users' | 'now'>,
  caller: Pick<Caller, 'tenantId' | 'environmentId'>,
  input: DelegatedTokenInput,
  reads?: DelegationReads,
): Promise<{ application: StoredApplication; connection: IdpConnection; user: EndUser; profile: Profile; subjectId: string }> {
  const subjectId = identifier('subjectId', input.subjectId);
  const uniqueProfileIdentifier = input.uniqueProfileIdentifier === undefined ? undefined : identifier('uniqueProfileIdentifier', input.uniqueProfileIdentifier);
  if (input.email !== undefined && !EMAIL.test(input.email)) throw invalid('email', 'is not an email address');
  if (input.name !== undefined && (!input.name.trim() || input.name.length > 200)) throw invalid('name', 'must be 1 to 200 characters');
  if (!fitsInKey(input.applicationId)) throw invalid('applicationId', `must be at most ${MAX_KEY_VALUE_BYTES} bytes in UTF-8`);

  const { environmentId, tenantId } = caller;
  const read: DelegationRead = reads
    ? await reads.readDelegation(environmentId, input.applicationId, subjectId, uniqueProfileIdentifier)
    : await Promise.all([deps.connections.getIdpConnectionByType(environmentId, 'delegated'), deps.applications.getApplication(environmentId, input.applicationId)]).then(
        ([connection, application]) => ({ ...(connection ? { connection } : {}), ...(application ? { application } : {}) }),
      );
  const { connection, application } = read;
  if (!connection) {
    throw new DelegationNotConfigured('idp_connection_missing', 'this environment has no delegated IDP connection; create one (POST /v1/idp-connections with type "delegated")');
  }
  if (!connection.enabled) throw new DelegationNotConfigured('idp_connection_disabled', `the delegated IDP connection "${connection.id}" is disabled`);
  if (!application) throw new ApplicationNotFound(input.applicationId);
  if (!connection.applicationIds.includes(application.id)) {
    throw new DelegationNotConfigured('application_not_assigned', `the delegated IDP connection "${connection.id}" is not assigned to application "${application.id}"`);
  }

  const { user, profile } = await findOrCreateEndUser(
    { users: deps.users, now: deps.now },
    {
      tenantId,
      environmentId,
      idpConnectionId: connection.id,
      subjectId,
      ...(uniqueProfileIdentifier !== undefined ? { uniqueProfileIdentifier } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.emailVerified !== undefined ? { emailVerified: input.emailVerified } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
    },
    reads ? { read: read.subject } : undefined,
  );
  return { application, connection, user, profile, subjectId };
}

function identifier(field: string, value: string | number): string {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : value;
  if (!text.trim() || !IDENTIFIER.test(text)) {
    throw invalid(field, 'must be a UUID, a non-empty text of at most 256 characters without control characters, or a whole number');
  }
  // It becomes part of a table key: the one key-size rule, in bytes.
  if (!fitsInKey(text)) throw invalid(field, `must be at most ${MAX_KEY_VALUE_BYTES} bytes in UTF-8`);
  return text;
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}
