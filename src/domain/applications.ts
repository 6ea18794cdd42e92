import { retryOnConcurrentUpdate } from './optimistic';
import { InvalidRequest, NotFound } from './errors';
import { newId, newSecret } from './ids';
import { requirePermission, type Caller } from './caller';
import { MAX_TOKEN_TTL_SECONDS, MIN_TOKEN_TTL_SECONDS } from './environments';
import type { Clock } from './primitives';
import type { Page, WebhookSecretRef, WebhookSettings } from './model';
import { webhookSettings, type WebhookInput, type WebhookSecretVault } from './webhook-settings';
import { pageLimit } from './paging';
import { webUrlProblem } from './clients/redirect-uris';
import { outboundUrlProblem } from './outbound-policy';
import { localTargetsAllowed } from '../config';

/**
 * Applications: the end-user facing apps of an environment. An application has its own end-user
 * token lifetime and, optionally, an enrichment webhook that adds claims to its end users'
 * tokens. OIDC/SAML clients hang off an application and look it up with `getApplication`.
 *
 * Rules this module enforces:
 * - A webhook target is an HTTPS URL, a plain HTTP URL only on a loopback host (development), or the
 *   ARN of a Lambda function (invoked directly). Its time budget is bounded so generation never hangs.
 * - `logoutUrl`, which Latchkey posts back-channel logout tokens to, passes the outbound policy like
 *   a webhook target (src/domain/outbound-policy.ts); login and consent URLs only receive browsers.
 * - The webhook secret is generated here (256 bits), answered once, and handed to the vault (Secrets
 *   Manager); the application record keeps only where it is, never the value.
 */

export interface StoredApplication {
  readonly id: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description?: string;
  /** Lifetime of delegated end-user access tokens for this application. */
  readonly endUserTokenTtlSeconds: number;
  readonly webhook?: WebhookSettings;
  readonly webhookSecret?: WebhookSecretRef;
  /** Where `/oauth/v2/authorize` sends the browser to log the end user in (`?login_challenge=…`). */
  readonly loginUrl?: string;
  /** Where the browser is sent to ask for consent (`?consent_challenge=…`); without it consent cannot be asked. */
  readonly consentUrl?: string;
  /** Told of ended sessions by an OpenID Connect back-channel logout token. */
  readonly logoutUrl?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Goes up with every versioned write (optimistic concurrency); absent on a record never written so. */
  readonly version?: number;
}

/** What callers see: whether a secret exists, never where or what it is. */
export type Application = Omit<StoredApplication, 'webhookSecret'> & { readonly webhookSecretConfigured: boolean };

export interface ApplicationStore {
  /** Fails with `Conflict` if the ID is taken. */
  createApplication(application: StoredApplication): Promise<void>;
  getApplication(environmentId: string, applicationId: string): Promise<StoredApplication | undefined>;
  listApplications(environmentId: string, limit: number, cursor?: string): Promise<Page<StoredApplication>>;
  /** Changes an existing application only; `null` removes an attribute; answers undefined when there is none. */
  updateApplication(
    environmentId: string,
    applicationId: string,
    changes: { [K in 'name' | 'description' | 'endUserTokenTtlSeconds' | 'webhook' | 'webhookSecret' | InteractionUrlField]?: StoredApplication[K] | null } & { updatedAt: string },
    /** With `expectedVersion`, only if the record is still at that version (`ConcurrentUpdate` otherwise), and the version goes up. */
    versioned?: { readonly expectedVersion: number | undefined },
  ): Promise<StoredApplication | undefined>;
  deleteApplication(environmentId: string, applicationId: string): Promise<boolean>;
}

export interface ApplicationDeps {
  readonly applications: ApplicationStore;
  readonly vault: WebhookSecretVault;
  readonly now: Clock;
}

export const DEFAULT_END_USER_TOKEN_TTL_SECONDS = 3600;

/** The application's own pages that interactive login sends browsers (or logout tokens) to. */
export const INTERACTION_URL_FIELDS = ['loginUrl', 'consentUrl', 'logoutUrl'] as const;
export type InteractionUrlField = (typeof INTERACTION_URL_FIELDS)[number];

export interface ApplicationInput {
  name: string;
  description?: string;
  endUserTokenTtlSeconds?: number;
  webhook?: WebhookInput;
  loginUrl?: string;
  consentUrl?: string;
  logoutUrl?: string;
}

export interface ApplicationChanges {
  name?: string;
  description?: string;
  endUserTokenTtlSeconds?: number;
  /** Replaces the webhook settings as a whole; `null` removes them (the secret stays until deleted). */
  webhook?: WebhookInput | null;
  /** `null` removes the URL. */
  loginUrl?: string | null;
  consentUrl?: string | null;
  logoutUrl?: string | null;
}

export function publicView(application: StoredApplication): Application {
  const { webhookSecret, ...view } = application;
  return { ...view, webhookSecretConfigured: webhookSecret !== undefined };
}

export async function createApplication(deps: Pick<ApplicationDeps, 'applications' | 'now'>, caller: Caller, input: ApplicationInput): Promise<Application> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  checkName(input.name);
  if (input.endUserTokenTtlSeconds !== undefined) checkTtl(input.endUserTokenTtlSeconds);
  checkInteractionUrls(input);
  const now = new Date(deps.now()).toISOString();
  const application: StoredApplication = {
    id: newId('app'),
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    endUserTokenTtlSeconds: input.endUserTokenTtlSeconds ?? DEFAULT_END_USER_TOKEN_TTL_SECONDS,
    ...(input.webhook ? { webhook: webhookSettings(input.webhook) } : {}),
    ...Object.fromEntries(INTERACTION_URL_FIELDS.filter((field) => input[field] !== undefined).map((field) => [field, input[field]])),
    createdAt: now,
    updatedAt: now,
  };
  await deps.applications.createApplication(application);
  return publicView(application);
}

export async function listApplications(deps: Pick<ApplicationDeps, 'applications'>, caller: Caller, options: { limit?: number; cursor?: string }): Promise<Page<Application>> {
  requirePermission(caller, 'APPLICATIONS_READ');
  const limit = pageLimit(options.limit);
  const page = await deps.applications.listApplications(caller.environmentId, limit, options.cursor);
  return { items: page.items.map(publicView), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

export async function getApplication(deps: Pick<ApplicationDeps, 'applications'>, caller: Caller, id: string): Promise<Application> {
  requirePermission(caller, 'APPLICATIONS_READ');
  return publicView(await load(deps, caller.environmentId, id));
}

export async function updateApplication(deps: Pick<ApplicationDeps, 'applications' | 'now'>, caller: Caller, id: string, changes: ApplicationChanges): Promise<Application> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  if (changes.name !== undefined) checkName(changes.name);
  if (changes.endUserTokenTtlSeconds !== undefined) checkTtl(changes.endUserTokenTtlSeconds);
  checkInteractionUrls(changes);
  const { webhook, ...rest } = changes;
  const updated = await deps.applications.updateApplication(caller.environmentId, id, {
    ...rest,
    ...(webhook === null ? { webhook: null } : webhook ? { webhook: webhookSettings(webhook) } : {}),
    updatedAt: new Date(deps.now()).toISOString(),
  });
  if (!updated) throw notFound(id);
  return publicView(updated);
}

/**
 * Deletes the application and its webhook secret. Its end users stay: they belong to the environment.
 * The secret goes first, by its name, so that a failure leaves nothing a retry cannot finish: if
 * Secrets Manager is down, nothing has changed; if the table is, the record is still there and a
 * retry deletes the (already absent) secret and then the record. By name, not by the record's
 * reference, so that a secret whose creation was cut short before the record knew of it goes too.
 */
export async function deleteApplication(deps: ApplicationDeps, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  await load(deps, caller.environmentId, id);
  await deps.vault.removeOf(caller.environmentId, id);
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // record is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.applications.deleteApplication(caller.environmentId, id);
}

/**
 * A new webhook secret, answered this once; the previous one stops signing at once.
 * The vault is written first and the record second: if the record's update fails (the table is
 * down), the answer is 503, the new value was never shown, and a retry writes another and finishes;
 * a secret created for an application whose record never learnt of it is deleted with the
 * application, by name. Two generations at once: the record is written only if it is still at the
 * version that was read, and the loser starts again with a new secret, so every secret answered is
 * the one the record names until a later generation replaces it.
 */
export async function generateWebhookSecret(deps: ApplicationDeps, caller: Caller, id: string): Promise<Application & { readonly webhookSecret: string }> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  return retryOnConcurrentUpdate(async () => {
    const application = await load(deps, caller.environmentId, id);
    const secret = newSecret('lkw');
    const ref = await deps.vault.put(caller.environmentId, id, secret);
    const updated = await deps.applications.updateApplication(
      caller.environmentId,
      id,
      { webhookSecret: ref, updatedAt: new Date(deps.now()).toISOString() },
      { expectedVersion: application.version },
    );
    if (!updated) {
      // Deleted meanwhile: leave no orphaned secret behind.
      await deps.vault.remove(ref);
      throw notFound(id);
    }
    return { ...publicView(updated), webhookSecret: secret };
  });
}

/**
 * Clears the webhook secret: the vault deletes it first, then the record forgets it. In that order a
 * failure in between leaves the record pointing at a deleted secret, which a retry finishes; the
 * other order would leave a secret that no record names and no retry can find.
 */
export async function deleteWebhookSecret(deps: ApplicationDeps, caller: Caller, id: string): Promise<void> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const application = await load(deps, caller.environmentId, id);
  if (!application.webhookSecret) throw new NotFound(`a webhook secret of application "${id}"`);
  await deps.vault.remove(application.webhookSecret);
  const updated = await deps.applications.updateApplication(caller.environmentId, id, {
    webhookSecret: null,
    updatedAt: new Date(deps.now()).toISOString(),
  });
  if (!updated) throw notFound(id);
}

async function load(deps: Pick<ApplicationDeps, 'applications'>, environmentId: string, id: string): Promise<StoredApplication> {
  const application = await deps.applications.getApplication(environmentId, id);
  if (!application) throw notFound(id);
  return application;
}

/**
 * Login, consent and logout URLs follow the redirect URI rules: https, or http on a local host.
 * Latchkey itself posts logout tokens to `logoutUrl`, so it must also pass the outbound policy, as
 * webhook targets do: no private, loopback, link-local or reserved address in a deployed stage.
 */
function checkInteractionUrls(input: { [K in InteractionUrlField]?: string | null }): void {
  for (const field of INTERACTION_URL_FIELDS) {
    const value = input[field];
    if (typeof value !== 'string') continue;
    const problem = webUrlProblem(value) ?? (field === 'logoutUrl' ? outboundUrlProblem(value, { allowLocalTargets: localTargetsAllowed() }) : undefined);
    if (problem) throw invalid(field, problem);
  }
}

function checkTtl(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_TOKEN_TTL_SECONDS || seconds > MAX_TOKEN_TTL_SECONDS) {
    throw invalid('endUserTokenTtlSeconds', `must be a whole number of seconds from ${MIN_TOKEN_TTL_SECONDS} to ${MAX_TOKEN_TTL_SECONDS}`);
  }
}

function checkName(name: string): void {
  if (!name.trim() || name.length > 200) throw invalid('name', 'must be 1 to 200 characters');
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}

function notFound(id: string): NotFound {
  return new NotFound(`application "${id}"`);
}
