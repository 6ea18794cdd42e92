import { endUserLifecycleDeps } from '../../src/composition/dependencies';
import { listEndUserSessions } from '../../src/domain/end-user-lifecycle';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/users/{id}/sessions`: the end user's live browser sessions and the clients each signed in to. */
export const handler = managementHandler(async (event, caller) => json(200, await listEndUserSessions(endUserLifecycleDeps(), caller, pathParameter(event, 'id'))));
