import { z } from 'zod';
import { createServiceAccount } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { managementDeps, managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { description, name } from '../../src/http/schemas';

const body = z.object({
  name,
  description: description.optional(),
  userName: z.string().trim().min(1).max(200).optional(),
  accessTokenType: z.enum(['jwt', 'opaque']).optional(),
}).strict();

/** `POST /v1/service-accounts`: the answer carries the client secret, the only time it is shown. */
export const handler = managementHandler(async (event, caller) =>
  json(201, await createServiceAccount(managementDeps(), caller, jsonBody(event, body))),
);
