import * as z from 'zod/mini';

/** Request schemas of the upstream login's browser endpoints (the choice page). */

const id = z.string().check(z.regex(/^[a-z]{2,4}_[a-z2-7]{26}$/, 'must be a Latchkey ID'));

export const upstreamChoiceQuery = z.strictObject({
  environment: id,
  request: id,
  email: z.optional(z.string().check(z.maxLength(320))),
  connection: z.optional(id),
});

/** The query of an upstream connection's back-channel logout URI (`/oauth/v2/idp/backchannel-logout`). */
export const backchannelLogoutQuery = z.strictObject({ environment: id, connection: id });
