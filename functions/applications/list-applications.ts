import * as z from 'zod/mini';
import { applicationDeps } from '../../src/composition/dependencies';
import { listApplications } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { wholeNumber } from '../../src/http/schemas';

const query = z.strictObject({
  limit: z.optional(z.coerce.number().check(wholeNumber('must be a whole number'))),
  cursor: z.optional(z.string().check(z.maxLength(400))),
});

/** `GET /v1/applications?limit=&cursor=`: one page; pass `cursor` back for the next. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listApplications(applicationDeps(), caller, queryParams(event, query))),
);
