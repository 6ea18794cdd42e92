import { InvalidRequest } from './errors';
import type { FailurePolicy, WebhookSecretRef, WebhookSettings } from './model';
import { checkWebhookTarget } from './webhook-targets';

/**
 * Enrichment webhook settings, as applications (delegated tokens) and environments (service-account
 * tokens) hold them: the target, what a failure does, the time budget, and where the signing secret
 * is kept. A leaf of both, so neither imports the other.
 */

/** Secrets Manager, as far as webhook secrets go. */
export interface WebhookSecretVault {
  /** Creates or replaces the secret of an application; answers the version now current. */
  put(environmentId: string, applicationId: string, value: string): Promise<WebhookSecretRef>;
  read(ref: WebhookSecretRef): Promise<string>;
  /** Deletes at once (no recovery window), so a new secret can take the name; absent is fine. */
  remove(ref: WebhookSecretRef): Promise<void>;
  /** Deletes the application's secret by its name, whether or not a record refers to it; absent is fine. */
  removeOf(environmentId: string, applicationId: string): Promise<void>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 2000;
export const MIN_WEBHOOK_TIMEOUT_MS = 100;
/** Well under the 10 s a Lambda function of the stack may run, so a refusal can still be answered. */
export const MAX_WEBHOOK_TIMEOUT_MS = 5000;

export interface WebhookInput {
  target: string;
  failurePolicy?: FailurePolicy;
  timeoutMs?: number;
}

/** Checks webhook settings as given and answers them with their defaults; `path` names the field in errors. */
export function webhookSettings(input: WebhookInput, path = 'webhook'): WebhookSettings {
  checkWebhookTarget(input.target, undefined, path);
  const timeoutMs = input.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_WEBHOOK_TIMEOUT_MS || timeoutMs > MAX_WEBHOOK_TIMEOUT_MS) {
    throw invalid(`${path}.timeoutMs`, `must be a whole number of milliseconds from ${MIN_WEBHOOK_TIMEOUT_MS} to ${MAX_WEBHOOK_TIMEOUT_MS}`);
  }
  return { target: input.target, failurePolicy: input.failurePolicy ?? 'fail', timeoutMs };
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}
