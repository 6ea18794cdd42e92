/**
 * The enrichment webhook contract, shared by Latchkey (the caller) and the webhook Lambda
 * (a receiver), so the two cannot drift.
 *
 * Request: `POST` with a JSON envelope, signed in the `latchkey-signature` header (see `signature.ts`).
 * Answer: `{payload, errors, warnings}`. `payload` (a JSON object of at most 10,240 characters)
 * becomes the token's `extensions` claim; a non-empty `errors` list means the enrichment failed.
 */

export const ENRICHMENT_MESSAGE_TYPE = 'end_user_access_token_enrichment';
export const ENRICHMENT_MESSAGE_VERSION = '1.0';
/** Largest `payload` accepted, measured as its JSON text. */
export const MAX_EXTENSIONS_CHARACTERS = 10_240;

/** What Latchkey asks a webhook about: an end user's token (an application's webhook) or a service account's (the environment's). */
export type EnrichmentRequestPayload = EndUserEnrichmentPayload | ServiceAccountEnrichmentPayload;

export interface ServiceAccountEnrichmentPayload {
  readonly tenant_id: string;
  readonly environment_id: string;
  readonly subject_type: 'ServiceAccount';
  readonly service_account_id: string;
  readonly client_id: string;
  readonly name: string;
  /** The permissions the token carries, by resource key, as in its `permissions` claim. */
  readonly grants: Readonly<Record<string, readonly string[]>>;
  /** The audiences the token is for. */
  readonly audience: readonly string[];
}

export interface EndUserEnrichmentPayload {
  readonly tenant_id: string;
  readonly environment_id: string;
  readonly application_id: string;
  readonly user_id: string;
  /** The subject ID the third party gave. */
  readonly external_subject_id: string;
  readonly session_id: string;
  readonly subject_type: 'EndUserAccount';
  readonly profile_id: string;
  readonly name: string;
  readonly email: string | null;
}

export interface EnrichmentEnvelope<Payload extends EnrichmentRequestPayload = EnrichmentRequestPayload> {
  readonly payload: Payload;
  readonly message_type: typeof ENRICHMENT_MESSAGE_TYPE;
  /** Unique per request: a receiver may remember recent ones to refuse replays within the 120 s window. */
  readonly message_id: string;
  readonly message_version: typeof ENRICHMENT_MESSAGE_VERSION;
  /** ISO 8601. */
  readonly timestamp: string;
}

export interface EnrichmentAnswer {
  readonly payload?: Record<string, unknown>;
  readonly errors?: readonly { message?: string; code?: string }[] | readonly string[];
  readonly warnings?: readonly { message?: string; code?: string }[] | readonly string[];
}

/**
 * How Latchkey invokes a Lambda target, and how a function URL or API Gateway would too: an
 * HTTP-shaped event. The function answers `{statusCode, body}` with the answer as JSON in `body`.
 */
export interface WebhookInvocationEvent {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}

export interface WebhookInvocationResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}
