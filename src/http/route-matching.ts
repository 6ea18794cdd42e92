import type { Operation, Route } from '../../lib/routes';

export interface RouteMatch {
  readonly operation: Operation;
  readonly route: Route;
  readonly pathParameters: Record<string, string>;
}

const compiled = new WeakMap<object, RegExp>();

/** `/v1/service-accounts/{id}` → a regular expression with one named group per parameter. */
function patternOf(route: Route): RegExp {
  let pattern = compiled.get(route);
  if (!pattern) {
    const source = route.path
      .split('/')
      .map((segment) => {
        const parameter = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
        if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        return parameter[2] ? `(?<${parameter[1]}>.+)` : `(?<${parameter[1]}>[^/]+)`;
      })
      .join('/');
    pattern = new RegExp(`^${source}$`);
    compiled.set(route, pattern);
  }
  return pattern;
}

/**
 * Every route whose path matches, under any method, most specific first (fewer parameters win, as
 * in API Gateway). Path parameters are URL-decoded, as API Gateway does.
 */
export function matchRoute(operations: readonly Operation[], path: string): RouteMatch[] {
  const matches: RouteMatch[] = [];
  for (const operation of operations) {
    for (const route of operation.routes) {
      if (route.path === '$default') continue;
      const found = patternOf(route as Route).exec(path);
      if (!found) continue;
      const pathParameters: Record<string, string> = {};
      for (const [name, value] of Object.entries(found.groups ?? {})) {
        try {
          pathParameters[name] = decodeURIComponent(value);
        } catch {
          pathParameters[name] = value;
        }
      }
      matches.push({ operation, route: route as Route, pathParameters });
    }
  }
  const parameterCount = (match: RouteMatch) => (match.route.path.match(/\{/g) ?? []).length;
  return matches.sort((a, b) => parameterCount(a) - parameterCount(b));
}
