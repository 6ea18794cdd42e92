import * as z from 'zod/mini';

/**
 * Request body schemas shared by several operations. Objects are strict: an unknown field is an
 * error that names it, not something silently ignored.
 */

const text = (max: number) => z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));

/** Any finite whole number (no safe-integer bound, unlike `z.int()`); checked after the type. */
export const wholeNumber = (message: string) => z.refine<number>((value) => Number.isInteger(value), message);

/**
 * An RFC 3339 date-time with `Z` or an offset (`+02:00` or `+0200`), seconds optional. Written out
 * rather than `z.iso.datetime()`, which refuses `+0200` and a time without seconds that were always accepted.
 */
const DATE_TIME =
  /^((\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|(02)-(0[1-9]|1\d|2[0-8])))T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|([+-]\d{2}:?\d{2}))$/;
export const dateTime = (message: string) => z.string().check(z.regex(DATE_TIME, message));

export const name = text(200);
export const description = z.string().check(z.maxLength(1000, 'must be at most 1000 characters'));
export const seconds = z.number().check(wholeNumber('must be a whole number of seconds'));

const ROLES_REFUSED = 'roles cannot be assigned to service accounts; grant permissions on resources instead';

/**
 * Roles are for people: an object that names `roles` gets that refusal alone, before its other
 * fields are checked (a grant with roles and no permissions would otherwise hear only that
 * permissions are missing). A transform ahead of the schema, so the OpenAPI document still shows the
 * schema itself.
 */
function refusingRoles<S extends z.core.$ZodType<unknown, unknown>>(schema: S) {
  const gate = z.transform((value: unknown, context) => {
    if (typeof value === 'object' && value !== null && 'roles' in value) {
      context.issues.push({ code: 'custom', message: ROLES_REFUSED, input: value, path: ['roles'] });
      return z.NEVER;
    }
    return value;
  });
  return z.pipe(gate, schema);
}

export const grant = refusingRoles(
  z.strictObject({
    resource: text(63),
    permissions: z.array(text(128)).check(z.maxLength(200)),
  }),
);

export const grants = refusingRoles(
  z.strictObject({
    grants: z.array(grant).check(z.maxLength(100)),
  }),
);

export const tokenRequest = z.strictObject({
  scope: z.optional(z.string().check(z.maxLength(2000))),
  // zod 4 refuses an over-long array before reading it, so the union reports only its own message.
  resource: z.optional(
    z.union([z.string().check(z.maxLength(512)), z.array(z.string().check(z.maxLength(512))).check(z.maxLength(10))], 'must be a string or an array of at most 10 strings'),
  ),
});
