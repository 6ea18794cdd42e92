import { endUserLifecycleDeps } from '../../src/composition/dependencies';
import { updateEndUser } from '../../src/domain/end-user-lifecycle';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { updateUserBody } from '../../src/http/management-schemas';
import { jsonBody } from '../../src/http/request';

/** `PATCH /v1/users/{id}`: disable (every earlier token refused, every session ended) or enable an end user. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateEndUser(endUserLifecycleDeps(), caller, pathParameter(event, 'id'), jsonBody(event, updateUserBody))),
);
