import type { EndUserEnrichmentPayload, EnrichmentEnvelope, WebhookInvocationEvent, WebhookInvocationResult } from './contract';
import { ENRICHMENT_MESSAGE_TYPE, MAX_AGE_SECONDS, SIGNATURE_HEADER, verifySignature } from './index';

/**
 * The receiving side of the enrichment webhook contract, as a function of where secrets and
 * claims come from. `functions/webhook/enrichment-webhook.ts` wires it to Secrets Manager and a
 * static JSON table; a copy of it can wire anything else.
 *
 * Rules it enforces, before any claim is looked up:
 * - The body is an enrichment envelope naming an environment and an application.
 * - That application has a secret, and the `latchkey-signature` header verifies the exact raw body
 *   with it (unsigned, tampered, older than 120 s or more than 30 s ahead: refused with 401).
 * - A message ID seen in the last 120 s is refused (replay), as far as this container remembers.
 */

export interface ReceiverDeps {
  /** The application's webhook secret, or undefined when it has none. */
  secretFor(environmentId: string, applicationId: string): Promise<string | undefined>;
  /** The claims to add to this user's token (becomes the `extensions` claim). */
  claimsFor(request: EndUserEnrichmentPayload): Promise<Record<string, unknown>>;
  now(): number;
  log?(message: string, details: Record<string, unknown>): void;
}

export function createEnrichmentReceiver(deps: ReceiverDeps): (event: WebhookInvocationEvent) => Promise<WebhookInvocationResult> {
  const seen = new Map<string, number>();

  return async (event) => {
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const envelope = parseEnvelope(body);
    if (!envelope) return refuse(400, 'invalid_envelope', 'the body is not an enrichment envelope');
    const { environment_id: environmentId, application_id: applicationId } = envelope.payload;

    const secret = await deps.secretFor(environmentId, applicationId);
    if (!secret) return refuse(401, 'unknown_application', 'no webhook secret is configured for this application');
    const verified = verifySignature(secret, body, headerValue(event.headers, SIGNATURE_HEADER), deps.now());
    if (!verified.ok) {
      deps.log?.('refused an enrichment request', { applicationId, reason: verified.reason });
      return refuse(401, `signature_${verified.reason}`, SIGNATURE_MESSAGES[verified.reason]);
    }

    const nowSeconds = Math.floor(deps.now() / 1000);
    for (const [id, until] of seen) if (until < nowSeconds) seen.delete(id);
    if (seen.has(envelope.message_id)) return refuse(401, 'replayed', 'this message was already received');
    seen.set(envelope.message_id, verified.timestamp + MAX_AGE_SECONDS);

    const payload = await deps.claimsFor(envelope.payload);
    return answer(200, { payload, errors: [], warnings: [] });
  };
}

const SIGNATURE_MESSAGES = {
  missing: `the ${SIGNATURE_HEADER} header is missing`,
  malformed: `the ${SIGNATURE_HEADER} header is not t=<seconds>,v1=<hex>`,
  stale: `the request is more than ${MAX_AGE_SECONDS} s old`,
  future: 'the request is timestamped in the future',
  mismatch: 'the signature does not match the body',
} as const;

function parseEnvelope(body: string): EnrichmentEnvelope<EndUserEnrichmentPayload> | undefined {
  try {
    const value = JSON.parse(body) as Partial<EnrichmentEnvelope<EndUserEnrichmentPayload>> | null;
    const payload = value?.payload;
    if (value?.message_type !== ENRICHMENT_MESSAGE_TYPE || typeof value.message_id !== 'string') return undefined;
    if (typeof payload?.environment_id !== 'string' || typeof payload.application_id !== 'string') return undefined;
    return value as EnrichmentEnvelope<EndUserEnrichmentPayload>;
  } catch {
    return undefined;
  }
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function refuse(statusCode: number, code: string, message: string): WebhookInvocationResult {
  return answer(statusCode, { payload: {}, errors: [{ code, message }], warnings: [] });
}

function answer(statusCode: number, body: unknown): WebhookInvocationResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
