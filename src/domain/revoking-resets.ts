/**
 * Revoking resets: the one mechanism by which a service account (a secret reset that revokes, or
 * disabling it), an end user (disabling it, or signing it out everywhere) and an IDP connection
 * (disabling it) take back every token issued before a moment, `tokensValidAfter` (ISO 8601 with
 * milliseconds). A holder of one is anything with that field; an end user's tokens answer to its own
 * reset and its connection's (`latestReset`; a connection's reset is dated by `connectionResetTime`
 * in idp-connections.ts).
 */

/** Anything a revoking reset can be set on: a service account, an end user, an IDP connection. */
export interface Resettable {
  readonly tokensValidAfter?: string;
}

/**
 * Tokens and a revoking reset. A JWT's `iat` has whole seconds, so a JWT issued in the second of the
 * reset cannot be told apart from one issued just before it: all of them are refused, and tokens
 * issued in that second are dated to the next one instead (see `earliestIssuedAt`).
 */
export function jwtRevokedByReset(holder: Resettable, iatSeconds: number): boolean {
  const after = validAfterMs(holder);
  return after !== undefined && iatSeconds <= Math.floor(after / 1000);
}

/** PATs carry a millisecond creation time; one created at the reset's millisecond counts as earlier. (Opaque tokens go by their `iat`.) */
export function createdBeforeReset(holder: Resettable, createdMs: number): boolean {
  const after = validAfterMs(holder);
  return after !== undefined && createdMs <= after;
}

/** The `iat` for a JWT issued now: never in the second of a revoking reset (at most one second ahead). */
export function earliestIssuedAt(holder: Resettable, nowMs: number): number {
  const after = validAfterMs(holder);
  const now = Math.floor(nowMs / 1000);
  return after === undefined ? now : Math.max(now, Math.floor(after / 1000) + 1);
}

/**
 * The `tokensValidAfter` of a revoking reset now: later than anything an earlier token may carry,
 * including tokens dated forward after a previous reset in the same second.
 */
export function revokingResetTime(holder: Resettable, nowMs: number): number {
  const after = validAfterMs(holder);
  return after === undefined ? nowMs : Math.max(nowMs, (Math.floor(after / 1000) + 1) * 1000);
}

/** The creation time (ms) for a PAT created now: never at or before a revoking reset. */
export function earliestCreatedAt(holder: Resettable, nowMs: number): number {
  const after = validAfterMs(holder);
  return after === undefined ? nowMs : Math.max(nowMs, after + 1);
}

function validAfterMs(holder: Resettable): number | undefined {
  return holder.tokensValidAfter === undefined ? undefined : Date.parse(holder.tokensValidAfter);
}

/**
 * The later of the user's and its connection's revoking resets: what a login or token of the user
 * made now must be dated after (see `earliestIssuedAt`).
 */
export function latestReset(user: Resettable, connection: Resettable | undefined): Resettable {
  const times = [user.tokensValidAfter, connection?.tokensValidAfter].filter((time): time is string => time !== undefined);
  return times.length === 0 ? {} : { tokensValidAfter: times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) };
}
