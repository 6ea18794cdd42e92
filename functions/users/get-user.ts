import { endUserStore } from '../../src/adapters/from-environment';
import { getEndUser } from '../../src/domain/end-users';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/users/{id}`: an end user with its profiles, the default one first. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getEndUser({ users: endUserStore() }, caller, pathParameter(event, 'id'))),
);
