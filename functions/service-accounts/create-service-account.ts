import * as z from 'zod/mini';
import { createServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { description, name } from '../../src/http/schemas';

const body = z.strictObject({
  name,
  description: z.optional(description),
  userName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  accessTokenType: z.optional(z.enum(['jwt', 'opaque'])),
});

/** `POST /v1/service-accounts`: the answer carries the client secret, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createServiceAccount(serviceAccountDeps(), caller, jsonBody(event, body))),
);
