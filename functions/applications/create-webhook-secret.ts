import { applicationStore, clock, webhookVault } from '../../src/adapters/from-environment';
import { generateWebhookSecret } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `POST /v1/applications/{id}/webhook-secret`: a new secret, answered this once; the old one stops signing. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await generateWebhookSecret({ applications: applicationStore(), vault: webhookVault(), now: clock }, caller, pathParameter(event, 'id'))),
);
