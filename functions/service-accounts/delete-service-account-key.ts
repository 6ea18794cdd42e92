import { deleteServiceAccountKey } from '../../src/domain/service-account-keys';
import { serviceAccountKeyDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/service-accounts/{id}/keys/{keyId}`: assertions signed with the key are refused at once. */
export const handler = managementHandler(async (event, caller) => {
  await deleteServiceAccountKey(serviceAccountKeyDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'keyId'));
  return { statusCode: 204 };
});
