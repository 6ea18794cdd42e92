import * as z from 'zod/mini';
import { wholeNumber } from './schemas';

/** Request schemas of the audit log's operations, apart from their handlers so the OpenAPI document can describe them. */

const filter = z.optional(z.string().check(z.minLength(1), z.maxLength(200)));

/** `GET /v1/audit-events?limit&cursor&action&actorId&targetId&since&until`. */
export const auditEventsQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(wholeNumber('must be a whole number'))),
  cursor: z.optional(z.string().check(z.maxLength(400))),
  action: filter,
  actorId: filter,
  targetId: filter,
  since: z.optional(z.string().check(z.maxLength(40))),
  until: z.optional(z.string().check(z.maxLength(40))),
});

/** `GET /v1/audit-events/verify?cursor`. */
export const verifyAuditChainQuery = z.strictObject({
  cursor: z.optional(z.string().check(z.maxLength(400))),
});
