import * as z from 'zod/mini';
import { updateEnvironment } from '../../src/domain/environments';
import { json } from '../../src/http/handler';
import { environmentDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { name, seconds } from '../../src/http/schemas';

const body = z.strictObject({ name: z.optional(name), serviceAccountTokenTtlSeconds: z.optional(seconds) })
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, serviceAccountTokenTtlSeconds'));

/** `PATCH /v1/environment`: e.g. the service-account token lifetime, applied to the next token. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateEnvironment(environmentDeps(), caller, jsonBody(event, body))),
);
