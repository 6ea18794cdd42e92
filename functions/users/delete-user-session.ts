import { endUserLifecycleDeps } from '../../src/composition/dependencies';
import { endEndUserSession } from '../../src/domain/end-user-lifecycle';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/users/{id}/sessions/{sessionId}`: one session ends, and its clients' applications are told. */
export const handler = managementHandler(async (event, caller) => {
  await endEndUserSession(endUserLifecycleDeps(), caller, pathParameter(event, 'id'), pathParameter(event, 'sessionId'));
  return { statusCode: 204 };
});
