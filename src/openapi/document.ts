import { DEFAULT_ROUTE, operations as routeTable, type Operation } from '../../lib/routes';
import { OAUTH_FORMS, REQUEST_SHAPES, requestJsonSchema, type JsonSchema } from './request-schemas';
import { ERROR_SCHEMAS, RESPONSE_SCHEMAS, SUCCESS, type Success } from './response-schemas';

/**
 * The OpenAPI 3.1 document of Latchkey's HTTP API, built from the route table: every route, its
 * path parameters, request body (the handlers' own zod schemas), security and responses. It has no
 * `servers`: a client resolves paths against the URL it fetched the document from, so the document
 * is the same in every deployment and can be checked in (`npm run openapi`).
 */

/** Where an operation's errors come from and what they look like. */
export type Surface = 'management' | 'oauth' | 'graphql' | 'browser' | 'public';

export function surfaceOf(operation: Operation): Surface {
  const paths = operation.routes.map((route) => route.path);
  if (paths.some((path) => path.startsWith('/v1/'))) return 'management';
  if (operation.name === 'graphql') return 'graphql';
  if (['authorize', 'end-session', 'single-sign-on'].includes(operation.name)) return 'browser';
  if (['choose-identity-provider', 'complete-upstream-login'].includes(operation.name)) return 'browser';
  if (operation.name === 'consume-saml-response') return 'browser';
  if (['token', 'introspect', 'revoke', 'userinfo', 'push-authorization-request'].includes(operation.name)) return 'oauth';
  if (operation.name === 'upstream-backchannel-logout') return 'oauth';
  return 'public';
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const SECURITY: Readonly<Record<Surface, readonly Record<string, string[]>[]>> = {
  management: [{ bearer: [] }],
  // client_secret_post, private_key_jwt and public clients authenticate in the form: no header.
  oauth: [{ clientBasic: [] }, { mutualTLS: [] }, {}],
  graphql: [{}, { bearer: [] }],
  browser: [{}],
  public: [{}],
};

/** Operations whose callers authenticate otherwise than their surface's. */
const OPERATION_SECURITY: Readonly<Record<string, readonly Record<string, string[]>[]>> = {
  // The end user's access token (RFC 6750): as a bearer header, or as `access_token` in a POST form.
  userinfo: [{ bearer: [] }],
  // An upstream provider: its logout token is the credential.
  'upstream-backchannel-logout': [{}],
};

/** Each error status a surface answers, by the response component that describes it. */
const ERROR_RESPONSES: Readonly<Record<Surface, Readonly<Record<string, string>>>> = {
  management: {
    '400': 'Problem',
    '401': 'Problem',
    '403': 'Problem',
    '404': 'Problem',
    '409': 'Problem',
    '415': 'Problem',
    '413': 'ProblemOrGateway413',
    '429': 'ProblemOrGateway429',
    '500': 'Problem',
    '503': 'ProblemOrGateway503',
  },
  oauth: { '400': 'OAuthError', '401': 'OAuthError', '413': 'OAuthErrorOrGateway413', '429': 'OAuthErrorOrGateway429', '500': 'OAuthError', '503': 'OAuthErrorOrGateway503' },
  graphql: {
    '400': 'GraphqlError',
    '401': 'GraphqlError',
    '413': 'GraphqlErrorOrGateway413',
    '415': 'GraphqlError',
    '429': 'GraphqlErrorOrGateway429',
    '500': 'GraphqlError',
    '503': 'GraphqlErrorOrGateway503',
  },
  browser: { '400': 'ErrorPage', '413': 'ErrorPageOrGateway413', '429': 'Gateway429', '500': 'ErrorPage', '503': 'ErrorPageOrGateway503' },
  public: { '404': 'Problem', '413': 'Gateway413', '429': 'Gateway429', '500': 'Problem', '503': 'ProblemOrGateway503' },
};

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  '400': 'The request is malformed or a field is invalid',
  '401': 'Authentication is missing or invalid',
  '403': 'The caller lacks the permission',
  '404': 'No such resource in the caller’s environment',
  '409': 'Conflicts with the current state',
  '413': 'The request body is too large',
  '415': 'The request body is not of a supported media type',
  '429': 'Too many requests: a route throttle (API Gateway) or too many failed client authentications',
  '500': 'An unexpected error; the details are in the log only',
  '503': 'A dependency is unavailable or the function timed out; retry after `Retry-After` seconds',
};

function errorResponses(): Record<string, unknown> {
  const problem = { 'application/problem+json': { schema: ref('Problem') } };
  const gateway = { 'application/json': { schema: ref('GatewayMessage') } };
  const oauth = { 'application/json': { schema: ref('OAuthError') } };
  const graphql = { 'application/json': { schema: ref('GraphqlResponse') } };
  const graphqlOrGateway = { 'application/json': { schema: { oneOf: [ref('GraphqlResponse'), ref('GatewayMessage')] } } };
  const oauthOrGateway = { 'application/json': { schema: { oneOf: [ref('OAuthError'), ref('GatewayMessage')] } } };
  const page = { 'text/html': { schema: { type: 'string' } } };
  const response = (description: string, content: Record<string, unknown>) => ({ description, content });
  return {
    Problem: response('An RFC 9457 problem with Latchkey’s stable `code` and, for invalid fields, `errors[]`', problem),
    ProblemOrGateway413: response(DESCRIPTIONS['413']!, { ...problem, ...gateway }),
    ProblemOrGateway429: response(DESCRIPTIONS['429']!, { ...problem, ...gateway }),
    ProblemOrGateway503: response(DESCRIPTIONS['503']!, { ...problem, ...gateway }),
    Gateway413: response('API Gateway: the request body is over 10 MB', gateway),
    Gateway429: response('API Gateway: the route’s throttle is exhausted', gateway),
    OAuthError: response('An RFC 6749 §5.2 error', oauth),
    OAuthErrorOrGateway413: response(DESCRIPTIONS['413']!, oauthOrGateway),
    OAuthErrorOrGateway429: response(DESCRIPTIONS['429']!, oauthOrGateway),
    OAuthErrorOrGateway503: response(DESCRIPTIONS['503']!, oauthOrGateway),
    GraphqlError: response('A request that is not a well-formed GraphQL request: `{data: null, errors[]}`', graphql),
    GraphqlErrorOrGateway413: response(DESCRIPTIONS['413']!, graphqlOrGateway),
    GraphqlErrorOrGateway429: response(DESCRIPTIONS['429']!, graphqlOrGateway),
    GraphqlErrorOrGateway503: response(DESCRIPTIONS['503']!, graphqlOrGateway),
    ErrorPage: response('An HTML error page: the client or its redirect URI could not be trusted, so no redirect', page),
    ErrorPageOrGateway413: response(DESCRIPTIONS['413']!, { ...page, ...gateway }),
    ErrorPageOrGateway503: response(DESCRIPTIONS['503']!, { ...page, ...gateway }),
    RouteNotFound: response('No route has this path (the catch-all route)', problem),
    MethodNotAllowed: response('The path exists under other methods, listed in `Allow` (the catch-all route)', problem),
  };
}

function successResponse(success: Success): Record<string, unknown> {
  const headers = success.headers ? { headers: Object.fromEntries(success.headers.map((name) => [name, { schema: { type: 'string' } }])) } : {};
  if (!success.schema) return { description: success.description, ...headers };
  return { description: success.description, ...headers, content: { [success.contentType ?? 'application/json']: { schema: ref(success.schema) } } };
}

function pathParameters(path: string) {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParameters(operation: Operation) {
  const query = REQUEST_SHAPES[operation.name]?.query;
  if (!query) return [];
  const schema = requestJsonSchema(query) as { properties: Record<string, JsonSchema> };
  return Object.entries(schema.properties).map(([name, property]) => ({ name, in: 'query', required: false, schema: property }));
}

function requestBody(operation: Operation, method: string) {
  const shape = REQUEST_SHAPES[operation.name]?.body;
  if (shape) return { requestBody: { required: !shape.optional, content: { 'application/json': { schema: requestJsonSchema(shape.schema) } } } };
  const form = OAUTH_FORMS[operation.name];
  if (form && method === 'POST') return { requestBody: { required: operation.name !== 'userinfo', content: { 'application/x-www-form-urlencoded': { schema: form } } } };
  return {};
}

function operationObject(operation: Operation, method: string, path: string, index: number) {
  const surface = surfaceOf(operation);
  const successes = SUCCESS[operation.name];
  if (!successes) throw new TypeError(`no success response described for operation ${operation.name}`);
  const form = OAUTH_FORMS[operation.name];
  const formAsQuery =
    form && method === 'GET' ? Object.entries(form.properties as Record<string, JsonSchema>).map(([name, schema]) => ({ name, in: 'query', required: false, schema })) : [];
  const parameters = [...pathParameters(path), ...queryParameters(operation), ...formAsQuery];
  const errors = Object.fromEntries(Object.entries(ERROR_RESPONSES[surface]).map(([status, name]) => [status, responseRef(name)]));
  return {
    // One operation may serve several routes (a JWKS alias, GET and POST): operationIds must be unique.
    operationId: index === 0 ? operation.name : `${operation.name}-${method.toLowerCase()}-${index}`,
    summary: operation.summary,
    tags: [tagOf(operation, surface)],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...requestBody(operation, method),
    security: OPERATION_SECURITY[operation.name] ?? SECURITY[surface],
    responses: { ...Object.fromEntries(successes.map((success) => [String(success.status), successResponse(success)])), ...errors },
  };
}

function tagOf(operation: Operation, surface: Surface): string {
  if (surface === 'management') return /^functions\/([^/]+)\//.exec(operation.handler)![1]!;
  return surface === 'public' ? 'discovery' : surface;
}

export function openApiDocument(operations: readonly Operation[] = routeTable): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    operation.routes.forEach((route, index) => {
      if (route === DEFAULT_ROUTE || route.path === DEFAULT_ROUTE.path) return;
      const methods = paths[route.path] ?? {};
      paths[route.path] = methods;
      methods[route.method.toLowerCase()] = operationObject(operation, route.method, route.path, index);
    });
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey',
      version: '1',
      description:
        'Short-lived KMS-signed JWTs for service accounts and end users. The management API under `/v1` takes a bearer token ' +
        '(a JWT from the token endpoint or a personal access token) and answers errors as RFC 9457 problems; the OAuth endpoints ' +
        'answer RFC 6749 errors; `/graphql` answers GraphQL errors. A path no route has is answered 404, a known path under another ' +
        'method 405 with `Allow` (components `RouteNotFound` and `MethodNotAllowed`).',
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token from the token endpoint, or a personal access token' },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_secret_basic: client ID and secret (RFC 6749 §2.3.1); client_secret_post and private_key_jwt send form fields instead',
        },
        mutualTLS: { type: 'mutualTLS', description: 'tls_client_auth (RFC 8705) on the mutual-TLS endpoint' },
      },
      schemas: { ...ERROR_SCHEMAS, ...RESPONSE_SCHEMAS },
      responses: errorResponses(),
    },
  };
}

/** The document as served and as written to docs/openapi.json: one byte-for-byte form. */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
