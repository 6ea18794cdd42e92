import * as z from 'zod/mini';
import { createPersonalAccessToken } from '../../src/domain/personal-access-tokens';
import { json } from '../../src/http/handler';
import { personalAccessTokenDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { dateTime, name } from '../../src/http/schemas';

const body = z.strictObject({
  name: z.optional(name),
  expiresAt: z.optional(dateTime('must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z')),
});

/** `POST /v1/service-accounts/{id}/personal-access-tokens`: the answer carries the token, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(
    201,
    await createPersonalAccessToken(personalAccessTokenDeps(), caller, pathParameter(event, 'id'), jsonBody(event, body, { optional: true })),
  ),
);
