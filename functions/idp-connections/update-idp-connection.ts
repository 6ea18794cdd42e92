import * as z from 'zod/mini';
import { idpConnectionDeps } from '../../src/composition/dependencies';
import { updateIdpConnection } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { name } from '../../src/http/schemas';

const body = z.strictObject({
  name: z.optional(name),
  enabled: z.optional(z.boolean()),
  applicationIds: z.optional(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(100))),
}).check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, enabled, applicationIds'));

/** `PATCH /v1/idp-connections/{id}`: rename, enable or disable, and replace the assigned applications. */
export const handler = managementHandler(async (event, caller) =>
  json(
    200,
    await updateIdpConnection(idpConnectionDeps(), caller, pathParameter(event, 'id'), jsonBody(event, body)),
  ),
);
