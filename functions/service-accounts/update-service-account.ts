import * as z from 'zod/mini';
import { updateServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { description, name } from '../../src/http/schemas';

const body = z.strictObject({
  name: z.optional(name),
  description: z.optional(description),
  disabled: z.optional(z.boolean()),
}).check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, disabled'));

/** `PATCH /v1/service-accounts/{id}`: rename, describe, disable or enable. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateServiceAccount(serviceAccountDeps(), caller, pathParameter(event, 'id'), jsonBody(event, body))),
);
