import { endUserLifecycleDeps } from '../../src/composition/dependencies';
import { endEndUserSessions } from '../../src/domain/end-user-lifecycle';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/users/{id}/sessions`: sign out everywhere: every session ends, every earlier token is refused. */
export const handler = managementHandler(async (event, caller) => {
  await endEndUserSessions(endUserLifecycleDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
