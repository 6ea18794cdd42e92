import { z } from 'zod';
import { description, name, seconds } from './schemas';

const settings = {
  name: name.optional(),
  description: description.optional(),
  permissions: z.array(z.string().max(128)).max(200).optional(),
  accessTokenTtlSeconds: seconds.optional(),
};

export const createResourceBody = z.object({
  key: z.string().max(63),
  audience: z.string().max(512).optional(),
  ...settings,
}).strict();

export const updateResourceBody = z.object(settings).strict()
  .refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, permissions, accessTokenTtlSeconds');
