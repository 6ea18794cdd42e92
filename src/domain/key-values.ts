/**
 * The one size rule for values that become part of a table key (an ID in a path, a resource key or
 * `resource` parameter, a subject or profile identifier). DynamoDB refuses a partition key over
 * 2048 bytes and a sort key over 1024 bytes with an error that would otherwise surface as a 500;
 * two values within this bound and a prefix of up to 64 bytes fit in one sort key.
 * Checked at the edge, before anything reads or writes.
 */
export const MAX_KEY_VALUE_BYTES = 480;

const encoder = new TextEncoder();

export function fitsInKey(value: string): boolean {
  // Cheap first: no string of this many UTF-16 units can fit (a unit is at least one byte).
  return value.length <= MAX_KEY_VALUE_BYTES && encoder.encode(value).length <= MAX_KEY_VALUE_BYTES;
}
