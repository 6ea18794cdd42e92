import { endUserDeps } from '../../src/composition/dependencies';
import { getEndUser } from '../../src/domain/end-users';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/users/{id}`: an end user with its profiles, the default one first. */
export const handler = managementHandler(async (event, caller) => json(200, await getEndUser(endUserDeps(), caller, pathParameter(event, 'id'))));
