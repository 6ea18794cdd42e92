import { z } from 'zod';
import { description, name, seconds } from './schemas';

/** Bodies of the application operations; the domain checks ranges and webhook targets. */

export const webhookBody = z.object({
  target: z.string().trim().min(1, 'must not be empty').max(2048),
  failurePolicy: z.enum(['fail', 'omit']).optional(),
  timeoutMs: z.number().int('must be a whole number of milliseconds').optional(),
}).strict();

export const createApplicationBody = z.object({
  name,
  description: description.optional(),
  endUserTokenTtlSeconds: seconds.optional(),
  webhook: webhookBody.optional(),
}).strict();

export const updateApplicationBody = z.object({
  name: name.optional(),
  description: description.optional(),
  endUserTokenTtlSeconds: seconds.optional(),
  webhook: webhookBody.nullable().optional(),
}).strict().refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, endUserTokenTtlSeconds, webhook');
