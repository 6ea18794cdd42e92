import * as z from 'zod/mini';
import { description, name, seconds, wholeNumber } from './schemas';

/** Bodies of the application operations; the domain checks ranges and webhook targets. */

export const webhookBody = z.strictObject({
  target: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(2048)),
  failurePolicy: z.optional(z.enum(['fail', 'omit'])),
  timeoutMs: z.optional(z.number().check(wholeNumber('must be a whole number of milliseconds'))),
});

const pageUrl = z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(2000, 'must be at most 2000 characters'));

export const createApplicationBody = z.strictObject({
  name,
  description: z.optional(description),
  endUserTokenTtlSeconds: z.optional(seconds),
  webhook: z.optional(webhookBody),
  loginUrl: z.optional(pageUrl),
  consentUrl: z.optional(pageUrl),
  logoutUrl: z.optional(pageUrl),
});

export const updateApplicationBody = z
  .strictObject({
    name: z.optional(name),
    description: z.optional(description),
    endUserTokenTtlSeconds: z.optional(seconds),
    webhook: z.optional(z.nullable(webhookBody)),
    loginUrl: z.optional(z.nullable(pageUrl)),
    consentUrl: z.optional(z.nullable(pageUrl)),
    logoutUrl: z.optional(z.nullable(pageUrl)),
  })
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, endUserTokenTtlSeconds, webhook, loginUrl, consentUrl, logoutUrl'));
