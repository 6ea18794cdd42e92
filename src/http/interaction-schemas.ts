import * as z from 'zod/mini';
import { REJECTION_ERRORS } from '../domain/login/interaction-requests';

/** Bodies of the login and consent request answers; the domain checks ranges and identifiers. */

const identifier = z.union([z.string().check(z.maxLength(256)), z.number()]);

export const acceptLoginBody = z.strictObject({
  subjectId: identifier,
  uniqueProfileIdentifier: z.optional(identifier),
  email: z.optional(z.string().check(z.maxLength(320))),
  emailVerified: z.optional(z.boolean()),
  name: z.optional(z.string().check(z.maxLength(200))),
  remember: z.optional(z.boolean()),
  rememberForSeconds: z.optional(z.number()),
  amr: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(32))).check(z.maxLength(10))),
});

export const acceptConsentBody = z.strictObject({
  grantScopes: z.array(z.string().check(z.maxLength(200))).check(z.maxLength(100)),
  remember: z.optional(z.boolean()),
});

export const rejectBody = z.strictObject({
  error: z.enum(REJECTION_ERRORS),
  errorDescription: z.optional(z.string().check(z.maxLength(500))),
});
