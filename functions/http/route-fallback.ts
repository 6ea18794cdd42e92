import { MethodNotAllowed, RouteNotFound } from '../../src/domain/errors';
import { httpHandler } from '../../src/http/handler';
import { matchRoute } from '../../src/http/route-matching';
import { operations } from '../../lib/routes';

/**
 * Answers every request no route matched: 405 with `Allow` when the path exists under another
 * method, else 404. API Gateway sends these to the `$default` route; the local runtime does the same.
 */
export const handler = httpHandler({ errors: 'problem' }, async (event) => {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const allowed = matchRoute(operations, path).map((match) => match.route.method);
  if (allowed.length > 0) throw new MethodNotAllowed(method, path, [...new Set(allowed)]);
  throw new RouteNotFound(path);
});
