import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV, requireEnv } from '../../src/config';
import { logger } from '../../src/http/observability';
import { createEnrichmentReceiver } from '../../src/webhook/receiver';
import { webhookSecretName } from '../../src/webhook/secret-name';
import { parseStaticClaims, staticClaimsFor } from '../../src/webhook/static-claims';

/**
 * The enrichment webhook the stack deploys: an example to use as is or to copy and change.
 * Point an application at it with `"webhook": {"target": "<EnrichmentWebhookFunctionArn output>"}`
 * and generate the application's webhook secret; Latchkey then invokes it directly (no HTTP route).
 *
 * - Secret: the one Latchkey keeps for the application in Secrets Manager
 *   (`latchkey/<stage>/webhook/<environmentId>/<applicationId>`); this function may only read those.
 *   Nothing to copy: a new secret takes effect on the next request.
 * - Claims: `ENRICHMENT_CLAIMS_JSON` (see src/webhook/static-claims.ts). Replace `claimsFor` to read
 *   a table or call a service instead.
 * The signature checks live in src/webhook/receiver.ts and signature.ts, shared with Latchkey.
 */

const secrets = new SecretsManagerClient({});
const claims = parseStaticClaims(process.env.ENRICHMENT_CLAIMS_JSON);

const isId = (value: string): boolean => /^[a-z]{2,3}_[a-z2-7]{26}$/.test(value);

export const handler = createEnrichmentReceiver({
  async secretFor(environmentId, applicationId) {
    const prefix = requireEnv(ENV.webhookSecretPrefix);
    if (!isId(environmentId) || !isId(applicationId)) return undefined;
    try {
      return (await secrets.send(new GetSecretValueCommand({ SecretId: webhookSecretName(prefix, environmentId, applicationId) }))).SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  },
  claimsFor: async (request) => staticClaimsFor(claims, request),
  now: Date.now,
  log: (message, details) => logger.info(message, details),
});
