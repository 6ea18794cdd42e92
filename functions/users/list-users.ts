import { z } from 'zod';
import { endUserStore } from '../../src/adapters/from-environment';
import { listEndUsers } from '../../src/domain/end-users';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';

const query = z.object({
  limit: z.coerce.number().int('must be a whole number').optional(),
  cursor: z.string().max(400).optional(),
}).strict();

/** `GET /v1/users?limit=&cursor=`: the end users delegated tokens created, a page at a time. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listEndUsers({ users: endUserStore() }, caller, queryParams(event, query))),
);
