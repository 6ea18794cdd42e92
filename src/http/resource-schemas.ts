import * as z from 'zod/mini';
import { description, name, seconds } from './schemas';

const settings = {
  name: z.optional(name),
  description: z.optional(description),
  permissions: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(200))),
  accessTokenTtlSeconds: z.optional(seconds),
};

export const createResourceBody = z.strictObject({
  key: z.string().check(z.maxLength(63)),
  audience: z.optional(z.string().check(z.maxLength(512))),
  ...settings,
});

export const updateResourceBody = z
  .strictObject(settings)
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, permissions, accessTokenTtlSeconds'));
