import { endUserLifecycleDeps } from '../../src/composition/dependencies';
import { deleteEndUser } from '../../src/domain/end-user-lifecycle';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/users/{id}`: the user, its profiles, subject claim, sessions and consents; its tokens stop working. */
export const handler = managementHandler(async (event, caller) => {
  await deleteEndUser(endUserLifecycleDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
