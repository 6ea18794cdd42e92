import * as z from 'zod/mini';
import { generateDelegatedAccessToken } from '../../src/domain/delegated-tokens';
import { delegatedTokenDeps } from '../../src/composition/dependencies';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

const identifier = z.union([z.string().check(z.maxLength(256)), z.number()]);
const body = z.strictObject({
  applicationId: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(64)),
  subjectId: identifier,
  uniqueProfileIdentifier: z.optional(identifier),
  email: z.optional(z.string().check(z.maxLength(320))),
  name: z.optional(z.string().check(z.maxLength(200))),
});

/**
 * `POST /v1/delegated-access-tokens`: a service-account token holding GENERATE_DELEGATED_ACCESS_TOKEN
 * vouches for an end user; the answer is `{accessToken, tokenType, expiresInSeconds, payload}`.
 */
export const handler = managementHandler(async (event, caller) =>
  json(200, await generateDelegatedAccessToken(delegatedTokenDeps(), caller, jsonBody(event, body))),
);
