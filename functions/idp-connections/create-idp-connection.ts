import * as z from 'zod/mini';
import { idpConnectionDeps } from '../../src/composition/dependencies';
import { createIdpConnection } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { name } from '../../src/http/schemas';

const body = z.strictObject({
  type: z.literal('delegated', 'must be "delegated"'),
  name: z.optional(name),
  enabled: z.optional(z.boolean()),
  applicationIds: z.optional(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(100))),
});

/** `POST /v1/idp-connections`: at most one `delegated` connection per environment (409 for a second). */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createIdpConnection(idpConnectionDeps(), caller, jsonBody(event, body))),
);
