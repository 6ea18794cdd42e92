import { applicationDeps } from '../../src/composition/dependencies';
import { deleteWebhookSecret } from '../../src/domain/applications';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/applications/{id}/webhook-secret`: webhook calls are no longer signed (so they fail under the policy). */
export const handler = managementHandler(async (event, caller) => {
  await deleteWebhookSecret(applicationDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
