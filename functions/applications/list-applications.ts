import { z } from 'zod';
import { applicationStore } from '../../src/adapters/from-environment';
import { listApplications } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';

const query = z.object({
  limit: z.coerce.number().int('must be a whole number').optional(),
  cursor: z.string().max(400).optional(),
}).strict();

/** `GET /v1/applications?limit=&cursor=`: one page; pass `cursor` back for the next. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listApplications({ applications: applicationStore() }, caller, queryParams(event, query))),
);
