import { DEFAULT_THROTTLES, throttleOf, type Operation, type RouteThrottle } from './routes';

export type ThrottleClass = keyof typeof DEFAULT_THROTTLES;

/**
 * Overrides of the route table's throttles (context `throttles`): by class of route (`token`,
 * `management`, `public`) or by operation name, e.g. `{"token":{"rateLimit":2000,"burstLimit":4000},
 * "create-service-account":{"rateLimit":5,"burstLimit":10}}`. An operation's own entry wins over its
 * class's.
 */
export type ThrottleOverrides = Readonly<Record<string, RouteThrottle>>;

/**
 * Routes that reach the same operations through different doors: GraphQL's mutations issue what the
 * token endpoint (`authenticateServiceAccount`) and generate-delegated-access-token
 * (`generateDelegatedAccessToken`) issue. One operation, one limit: their throttles must stay equal
 * whatever the overrides say.
 */
const SAME_OPERATION_DOORS: readonly (readonly string[])[] = [['graphql', 'token', 'generate-delegated-access-token']];

/** The class whose default throttle applies to an operation, or undefined when it sets its own. */
export function throttleClassOf(operation: Operation): ThrottleClass | undefined {
  const throttle = throttleOf(operation);
  return (Object.keys(DEFAULT_THROTTLES) as ThrottleClass[]).find((name) => DEFAULT_THROTTLES[name] === throttle);
}

/** The throttle API Gateway applies to each route of the operation. */
export function effectiveThrottle(operation: Operation, overrides: ThrottleOverrides = {}): RouteThrottle {
  const byName = overrides[operation.name];
  if (byName) return byName;
  const throttleClass = throttleClassOf(operation);
  return (throttleClass && overrides[throttleClass]) || throttleOf(operation);
}

/** Parses and checks the `throttles` context (a JSON object or string). */
export function parseThrottleOverrides(value: unknown, operations: readonly Operation[]): ThrottleOverrides {
  if (value === undefined || value === null || value === '') return {};
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('context throttles must be a JSON object');
  const known = new Set<string>([...Object.keys(DEFAULT_THROTTLES), ...operations.map((operation) => operation.name)]);
  const result: Record<string, RouteThrottle> = {};
  for (const [key, throttle] of Object.entries(parsed)) {
    if (!known.has(key)) throw new TypeError(`context throttles: ${key} is neither a class of route (${Object.keys(DEFAULT_THROTTLES).join(', ')}) nor an operation`);
    const { rateLimit, burstLimit } = (throttle ?? {}) as Partial<RouteThrottle>;
    if (!isLimit(rateLimit) || !isLimit(burstLimit) || !Number.isInteger(burstLimit)) {
      throw new TypeError(`context throttles: ${key} needs rateLimit and burstLimit as non-negative numbers (burstLimit an integer)`);
    }
    result[key] = { rateLimit, burstLimit };
  }
  for (const doors of SAME_OPERATION_DOORS) {
    const limits = operations.filter((operation) => doors.includes(operation.name)).map((operation) => effectiveThrottle(operation, result));
    if (limits.some((limit) => limit.rateLimit !== limits[0]!.rateLimit || limit.burstLimit !== limits[0]!.burstLimit)) {
      throw new TypeError(
        `context throttles: ${doors.join(', ')} serve the same operations through different doors and need the same throttle; override their class or all of them alike`,
      );
    }
  }
  return result;
}

const isLimit = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
