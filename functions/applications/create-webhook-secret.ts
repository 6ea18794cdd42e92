import { applicationDeps } from '../../src/composition/dependencies';
import { generateWebhookSecret } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `POST /v1/applications/{id}/webhook-secret`: a new secret, answered this once; the old one stops signing. */
export const handler = managementHandler(async (event, caller) => json(200, await generateWebhookSecret(applicationDeps(), caller, pathParameter(event, 'id'))));
