import { deleteServiceAccount } from '../../src/domain/service-accounts';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/service-accounts/{id}`: its tokens stop at once on the management API and at the token endpoint. */
export const handler = managementHandler(async (event, caller) => {
  await deleteServiceAccount(serviceAccountDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
