import type { Context } from 'aws-lambda';
import type { Caller } from '../domain/caller';
import { InvalidRequest } from '../domain/errors';
import { fitsInKey, MAX_KEY_VALUE_BYTES } from '../domain/key-values';
import { auditTrail } from './audit';
import { noteCaller } from './audit-context';
import { authenticateCaller } from './authenticate';
import { httpHandler, type HttpEvent, type HttpResult } from './handler';

/**
 * A management API operation: problem+json errors, and the caller established from the bearer
 * token before the operation runs. The caller's environment is the only one it can touch.
 * Every operation the route table declares an audit action for writes its audit event here
 * (`auditTrail`, added last so it runs before the error mapping and the standard headers); only
 * management functions bundle the audit log, so the public and token functions stay small.
 */
export function managementHandler(fn: (event: HttpEvent, caller: Caller, context: Context) => Promise<HttpResult>) {
  return httpHandler({ errors: 'problem' }, async (event, context) => {
    const caller = await authenticateCaller(event);
    // Who the audit event of a change names as its actor.
    noteCaller(event, caller);
    return fn(event, caller, context);
  }).use(auditTrail());
}

/**
 * The `{id}`-style path parameter, which the route guarantees. Every path parameter becomes part of
 * a table key, so every one is held to the one key-size rule here, before any handler uses it.
 */
export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new TypeError(`route has no {${name}} parameter`);
  if (!fitsInKey(value)) {
    throw new InvalidRequest(`the {${name}} in the path must be at most ${MAX_KEY_VALUE_BYTES} bytes`, {
      fields: [{ path: name, message: `must be at most ${MAX_KEY_VALUE_BYTES} bytes` }],
    });
  }
  return value;
}
