import { z } from 'zod';

/**
 * Request body schemas shared by several operations. Objects are strict: an unknown field is an
 * error that names it, not something silently ignored.
 */

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const name = text(200);
export const description = z.string().max(1000, 'must be at most 1000 characters');
export const seconds = z.number().int('must be a whole number of seconds');

export const grant = z.object({
  resource: text(63),
  permissions: z.array(text(128)).max(200),
  // Present only so that a request assigning roles gets the specific refusal, not "unknown field".
  roles: z.unknown().optional(),
}).strict();

export const grants = z.object({
  grants: z.array(grant).max(100),
  roles: z.unknown().optional(),
}).strict();

export const tokenRequest = z.object({
  scope: z.string().max(2000).optional(),
  resource: z.union([z.string().max(512), z.array(z.string().max(512)).max(10)]).optional(),
}).strict();
