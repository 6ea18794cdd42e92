import { randomUUID } from 'node:crypto';
import { EnrichmentFailed } from './errors';
import type { StoredApplication } from './applications';
import type { WebhookSecretVault } from './webhook-settings';
import type { Environment } from './model';
import type { Clock } from './primitives';
import { ENRICHMENT_MESSAGE_TYPE, ENRICHMENT_MESSAGE_VERSION, MAX_EXTENSIONS_CHARACTERS, type EnrichmentEnvelope, type EnrichmentRequestPayload } from '../webhook/contract';
import { SIGNATURE_HEADER, signRequest } from '../webhook/signature';

/**
 * Access-token enrichment: during generation, the application's webhook is asked for extra
 * claims, which become the token's `extensions` claim.
 *
 * Rules this module enforces:
 * - Every request is signed (HMAC-SHA256 over timestamp and raw body) with the application's secret;
 *   without a secret there is no request, and that counts as a failure.
 * - The whole attempt (secret, call, answer) runs within the application's time budget; at the
 *   deadline the call is aborted and the attempt has failed. Nothing waits longer.
 * - Failure is: no answer in time, unreachable, a non-2xx answer, an answer that is not
 *   `{payload: {...}}`, a non-empty `errors` list, or a payload over 10,240 characters as JSON.
 * - On failure the application's policy decides: `fail` refuses the token with an error naming the
 *   webhook failure; `omit` issues it without `extensions` and logs the reason.
 * - Transport failures (unreachable, refused address, TLS, timeout, non-2xx) all read
 *   `WEBHOOK_UNREACHABLE` to the caller; the precise detail is logged, never answered.
 */

/**
 * The one reason a caller is told when the webhook could not be called: unreachable, refused by
 * the outbound policy, TLS, timeout, a non-2xx or 3xx status. Telling them apart would let the
 * webhook setting probe networks; the difference goes to the log.
 */
export const WEBHOOK_UNREACHABLE = 'the webhook could not be reached';

/**
 * A webhook request could not be delivered or was answered with something unusable. `message` may
 * be shown to the caller; `detail` is for the log only.
 */
export class WebhookFailure extends Error {
  constructor(
    reason: string,
    readonly detail?: string,
  ) {
    super(reason);
  }
}

export interface WebhookTransport {
  /**
   * POSTs the body to an HTTPS target, or invokes a Lambda target, and answers the answer's JSON text.
   * Throws `WebhookFailure` with a public reason and a detail for the log; stops when `signal` aborts.
   */
  deliver(target: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string>;
}

export interface EnrichmentLog {
  warn(message: string, details: Record<string, unknown>): void;
}

export interface EnrichmentDeps {
  readonly transport: WebhookTransport;
  readonly vault: Pick<WebhookSecretVault, 'read'>;
  readonly now: Clock;
  readonly log: EnrichmentLog;
}

type Outcome = { extensions: Record<string, unknown>; warnings: readonly unknown[] } | { reason: string; detail?: string };

/** Whose webhook is called: an application's (end-user tokens) or an environment's (service-account tokens). */
export type WebhookOwner = Pick<StoredApplication, 'id' | 'webhook' | 'webhookSecret'> & {
  /** `environment` for the service-account webhook of `serviceAccountTokenWebhook`; an application otherwise. */
  readonly kind?: 'application' | 'environment';
};

/** The environment's service-account webhook as a webhook owner. */
export function serviceAccountWebhookOwner(environment: Environment): WebhookOwner {
  return {
    id: environment.id,
    kind: 'environment',
    ...(environment.serviceAccountTokenWebhook ? { webhook: environment.serviceAccountTokenWebhook } : {}),
    ...(environment.serviceAccountTokenWebhookSecret ? { webhookSecret: environment.serviceAccountTokenWebhookSecret } : {}),
  };
}

/** The `extensions` claim for a token, or undefined when there is no webhook or `omit` applied. */
export async function enrichClaims(deps: EnrichmentDeps, application: WebhookOwner, request: EnrichmentRequestPayload): Promise<Record<string, unknown> | undefined> {
  const { webhook } = application;
  if (!webhook) return undefined;
  const outcome = await withinBudget(webhook.timeoutMs, (signal) => attempt(deps, application, request, signal));
  if ('extensions' in outcome) {
    if (outcome.warnings.length > 0) {
      deps.log.warn('enrichment webhook answered warnings', { ...ownerDetail(application), warnings: outcome.warnings.slice(0, 5).map(describe) });
    }
    return outcome.extensions;
  }
  const details = { ...ownerDetail(application), reason: outcome.reason, ...(outcome.detail ? { detail: outcome.detail } : {}) };
  if (webhook.failurePolicy === 'fail') {
    deps.log.warn('enrichment webhook failed; token refused (policy fail)', details);
    throw new EnrichmentFailed(application.id, outcome.reason, application.kind === 'environment' ? 'the service-account enrichment webhook of this environment' : undefined);
  }
  deps.log.warn('enrichment webhook failed; token issued without extensions (policy omit)', details);
  return undefined;
}

function ownerDetail(owner: WebhookOwner): Record<string, string> {
  return owner.kind === 'environment' ? { environmentId: owner.id } : { applicationId: owner.id };
}

async function withinBudget(timeoutMs: number, run: (signal: AbortSignal) => Promise<Outcome>): Promise<Outcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ reason: WEBHOOK_UNREACHABLE, detail: `it did not answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Never rejects: every way of failing becomes a reason. */
async function attempt(deps: EnrichmentDeps, application: WebhookOwner, request: EnrichmentRequestPayload, signal: AbortSignal): Promise<Outcome> {
  if (!application.webhookSecret) {
    return {
      reason:
        application.kind === 'environment'
          ? 'the environment has no webhook secret to sign requests with; set serviceAccountTokenWebhook again (PATCH /v1/environment)'
          : 'the application has no webhook secret to sign requests with; generate one (POST /v1/applications/{id}/webhook-secret)',
    };
  }
  let secret: string;
  try {
    secret = await deps.vault.read(application.webhookSecret);
  } catch (error) {
    return { reason: `its secret could not be read (${error instanceof Error ? error.name : 'unknown error'})` };
  }
  try {
    const nowMs = deps.now();
    const envelope: EnrichmentEnvelope = {
      payload: request,
      message_type: ENRICHMENT_MESSAGE_TYPE,
      message_id: randomUUID(),
      message_version: ENRICHMENT_MESSAGE_VERSION,
      timestamp: new Date(nowMs).toISOString(),
    };
    const body = JSON.stringify(envelope);
    const headers = { 'content-type': 'application/json', [SIGNATURE_HEADER]: signRequest(secret, body, nowMs) };
    return readAnswer(await deps.transport.deliver(application.webhook!.target, body, headers, signal));
  } catch (error) {
    if (error instanceof WebhookFailure) return { reason: error.message, ...(error.detail ? { detail: error.detail } : {}) };
    if (signal.aborted) return { reason: WEBHOOK_UNREACHABLE, detail: 'it did not answer in time' };
    return { reason: WEBHOOK_UNREACHABLE, detail: `it could not be called (${error instanceof Error ? error.name : 'unknown error'})` };
  }
}

export function readAnswer(text: string): Outcome {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return { reason: 'its answer is not JSON' };
  }
  if (!isObject(answer)) return { reason: 'its answer is not a JSON object' };
  const errors = answer.errors ?? [];
  const warnings = answer.warnings ?? [];
  if (!Array.isArray(errors) || !Array.isArray(warnings)) return { reason: 'its answer has "errors" or "warnings" that are not lists' };
  if (errors.length > 0) return { reason: `it answered errors: ${errors.slice(0, 3).map(describe).join('; ')}` };
  if (!isObject(answer.payload)) return { reason: 'its answer has no "payload" object' };
  const size = JSON.stringify(answer.payload).length;
  if (size > MAX_EXTENSIONS_CHARACTERS) {
    return { reason: `its payload is ${size} characters as JSON, over the limit of ${MAX_EXTENSIONS_CHARACTERS}` };
  }
  return { extensions: answer.payload, warnings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A webhook's error or warning, shortened for a message or a log line. */
function describe(entry: unknown): string {
  const text = typeof entry === 'string' ? entry : isObject(entry) && typeof entry.message === 'string' ? entry.message : JSON.stringify(entry);
  return (text ?? '').slice(0, 200);
}
