import { z } from 'zod';
import { generateDelegatedAccessToken } from '../../src/domain/delegated-tokens';
import { delegatedTokenDeps } from '../../src/http/delegated-token-deps';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

const identifier = z.union([z.string().max(256), z.number()]);
const body = z.object({
  applicationId: z.string().min(1, 'must not be empty').max(64),
  subjectId: identifier,
  uniqueProfileIdentifier: identifier.optional(),
  email: z.string().max(320).optional(),
  name: z.string().max(200).optional(),
}).strict();

/**
 * `POST /v1/delegated-access-tokens`: a service-account token holding GENERATE_DELEGATED_ACCESS_TOKEN
 * vouches for an end user; the answer is `{accessToken, tokenType, expiresInSeconds, payload}`.
 */
export const handler = managementHandler(async (event, caller) =>
  json(200, await generateDelegatedAccessToken(delegatedTokenDeps(), caller, jsonBody(event, body))),
);
