import { endUserDeps } from '../../src/composition/dependencies';
import { listEndUsers } from '../../src/domain/end-users';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { pageQuery } from '../../src/http/management-schemas';

/** `GET /v1/users?limit=&cursor=`: the end users delegated tokens created, a page at a time. */
export const handler = managementHandler(async (event, caller) => json(200, await listEndUsers(endUserDeps(), caller, queryParams(event, pageQuery))));
