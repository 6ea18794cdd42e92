import type { Caller } from '../domain/caller';

/**
 * What the audit middleware (`audit.ts`) learns about a request while the handler runs, kept beside
 * the request's event: the management caller once authenticated, and the names (never the values)
 * of the fields the validated JSON body set. Kept apart from the middleware, so that the request
 * parsing can record into it without loading the audit log.
 */

const callers = new WeakMap<object, Caller>();
const fields = new WeakMap<object, readonly string[]>();

export function noteCaller(event: object, caller: Caller): void {
  callers.set(event, caller);
}

export function callerOf(event: object): Caller | undefined {
  return callers.get(event);
}

/** The top-level field names of a body that passed its schema (strict schemas: only fields Latchkey knows). */
export function noteChangedFields(event: object, body: unknown): void {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) fields.set(event, Object.keys(body).sort());
}

export function changedFieldsOf(event: object): readonly string[] | undefined {
  return fields.get(event);
}
