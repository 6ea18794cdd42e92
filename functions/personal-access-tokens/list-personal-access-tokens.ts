import { z } from 'zod';
import { tokenStore } from '../../src/adapters/from-environment';
import { listPersonalAccessTokens } from '../../src/domain/personal-access-tokens';
import { json } from '../../src/http/handler';
import { managementDeps, managementHandler, pathParameter } from '../../src/http/management';
import { queryParams } from '../../src/http/request';

const query = z.object({
  limit: z.coerce.number().int('must be a whole number').optional(),
  cursor: z.string().max(400).optional(),
}).strict();

/** `GET /v1/service-accounts/{id}/personal-access-tokens?limit=&cursor=`: metadata only, never a token or its hash. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await listPersonalAccessTokens({ ...managementDeps(), tokens: tokenStore() }, caller, pathParameter(event, 'id'), queryParams(event, query))),
);
