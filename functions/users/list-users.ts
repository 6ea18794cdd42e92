import * as z from 'zod/mini';
import { endUserDeps } from '../../src/composition/dependencies';
import { listEndUsers } from '../../src/domain/end-users';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { wholeNumber } from '../../src/http/schemas';

const query = z.strictObject({
  limit: z.optional(z.coerce.number().check(wholeNumber('must be a whole number'))),
  cursor: z.optional(z.string().check(z.maxLength(400))),
});

/** `GET /v1/users?limit=&cursor=`: the end users delegated tokens created, a page at a time. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listEndUsers(endUserDeps(), caller, queryParams(event, query))),
);
