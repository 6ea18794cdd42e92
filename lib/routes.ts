/**
 * The route table: the single place where Latchkey's HTTP API is declared.
 *
 * Each operation is one Lambda function (its handler module under `functions/`), served at one or
 * more routes, and names the AWS access it needs. The CDK stack builds functions, routes, IAM
 * grants and environment variables from this table; the local runtime serves the same routes by
 * importing the same handler modules. Adding an operation means adding a line here and a handler.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an operation may do to the DynamoDB table. */
export type TableAccess = 'read' | 'readwrite';

/**
 * What an operation may do with the token signing keys.
 * - `verify`: read the public keys of every published key (`kms:GetPublicKey`), to serve the JWKS
 *   or to verify Latchkey tokens locally (never `kms:Verify`).
 * - `sign`: `verify`, plus `kms:Sign` on the active signing key only.
 */
export type KeyAccess = 'verify' | 'sign';

/**
 * Secrets an operation may use. `pepper` keys the hashes of client secrets (read). `webhook` reads
 * the enrichment webhook secrets (`latchkey/<stage>/webhook/*`); `webhook-write` also creates,
 * replaces and deletes them.
 */
export type SecretAccess = 'pepper' | 'webhook' | 'webhook-write';

export interface RouteAccess {
  readonly table?: TableAccess;
  readonly keys?: KeyAccess;
  readonly secrets?: readonly SecretAccess[];
}

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/service-accounts/{id}`. */
  readonly path: string;
}

/** The catch-all route that API Gateway sends every unmatched request to. */
export const DEFAULT_ROUTE = { method: 'ANY', path: '$default' } as const;

export interface Operation {
  /** Unique kebab-case name; also the Lambda's construct id and the local runtime's log name. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly handler: string;
  readonly routes: readonly (Route | typeof DEFAULT_ROUTE)[];
  readonly access: RouteAccess;
  /** One line on what the operation does, for the README and the local runtime's banner. */
  readonly summary: string;
}

const MANAGE_READ = { table: 'read', keys: 'verify' } as const;
const MANAGE_WRITE = { table: 'readwrite', keys: 'verify' } as const;

/** A management operation under `/v1`, authorised by a bearer token that the function verifies itself. */
function management(name: string, method: HttpMethod, path: string, area: string, access: RouteAccess, summary: string): Operation {
  return { name, handler: `functions/${area}/${name}.ts`, routes: [{ method, path: `/v1${path}` }], access, summary };
}

export const operations: readonly Operation[] = [
  // ---- discovery and keys ----
  {
    name: 'get-openid-configuration',
    handler: 'functions/discovery/get-openid-configuration.ts',
    routes: [{ method: 'GET', path: '/.well-known/openid-configuration' }],
    access: {},
    summary: 'OpenID Provider / OAuth authorization server metadata',
  },
  {
    name: 'get-jwks',
    handler: 'functions/discovery/get-jwks.ts',
    routes: [
      { method: 'GET', path: '/.well-known/jwks.json' },
      { method: 'GET', path: '/oauth/v2/keys' },
    ],
    access: { keys: 'verify' },
    summary: 'Public keys that verify Latchkey tokens (JWKS)',
  },

  // ---- OAuth ----
  {
    name: 'token',
    handler: 'functions/oauth/token.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/token' }],
    access: { table: 'read', keys: 'sign', secrets: ['pepper'] },
    summary: 'OAuth token endpoint: client credentials grant',
  },

  // ---- service accounts ----
  management('create-service-account', 'POST', '/service-accounts', 'service-accounts', { ...MANAGE_WRITE, secrets: ['pepper'] }, 'Create a service account; answers its secret once'),
  management('list-service-accounts', 'GET', '/service-accounts', 'service-accounts', MANAGE_READ, 'List service accounts, a page at a time'),
  management('get-service-account', 'GET', '/service-accounts/{id}', 'service-accounts', MANAGE_READ, 'Read a service account'),
  management('update-service-account', 'PATCH', '/service-accounts/{id}', 'service-accounts', MANAGE_WRITE, 'Rename, describe, disable or enable a service account'),
  management('delete-service-account', 'DELETE', '/service-accounts/{id}', 'service-accounts', MANAGE_WRITE, 'Delete a service account'),
  management('reset-service-account-secret', 'POST', '/service-accounts/{id}/secret', 'service-accounts', { ...MANAGE_WRITE, secrets: ['pepper'] }, 'Reset a service account secret, optionally with a grace period'),
  management('get-service-account-permissions', 'GET', '/service-accounts/{id}/permissions', 'service-accounts', MANAGE_READ, "Read a service account's permission grants"),
  management('set-service-account-permissions', 'PUT', '/service-accounts/{id}/permissions', 'service-accounts', MANAGE_WRITE, "Replace a service account's permission grants"),
  management('mint-service-account-token', 'POST', '/service-accounts/{id}/access-tokens', 'service-accounts', { table: 'read', keys: 'sign' }, 'Mint a token for a service account without its secret'),

  // ---- resources and environment ----
  management('list-resources', 'GET', '/resources', 'resources', MANAGE_READ, 'List resources, the built-in one first'),
  management('create-resource', 'POST', '/resources', 'resources', MANAGE_WRITE, 'Create a resource with its permissions'),
  management('get-resource', 'GET', '/resources/{key}', 'resources', MANAGE_READ, 'Read a resource'),
  management('update-resource', 'PATCH', '/resources/{key}', 'resources', MANAGE_WRITE, 'Change a resource'),
  management('delete-resource', 'DELETE', '/resources/{key}', 'resources', MANAGE_WRITE, 'Delete a resource'),
  management('get-environment', 'GET', '/environment', 'environment', MANAGE_READ, "Read the caller's environment settings"),
  management('update-environment', 'PATCH', '/environment', 'environment', MANAGE_WRITE, "Change the caller's environment settings"),

  // ---- applications (DA-7 enrichment settings live here) ----
  management('list-applications', 'GET', '/applications', 'applications', MANAGE_READ, 'List applications, a page at a time'),
  management('create-application', 'POST', '/applications', 'applications', MANAGE_WRITE, 'Create an application with its end-user token lifetime and enrichment webhook'),
  management('get-application', 'GET', '/applications/{id}', 'applications', MANAGE_READ, 'Read an application'),
  management('update-application', 'PATCH', '/applications/{id}', 'applications', MANAGE_WRITE, 'Change an application and its enrichment webhook'),
  management('delete-application', 'DELETE', '/applications/{id}', 'applications', { ...MANAGE_WRITE, secrets: ['webhook-write'] }, 'Delete an application and its webhook secret'),
  management('create-webhook-secret', 'POST', '/applications/{id}/webhook-secret', 'applications', { ...MANAGE_WRITE, secrets: ['webhook-write'] }, "Generate an application's webhook secret; answers it once"),
  management('delete-webhook-secret', 'DELETE', '/applications/{id}/webhook-secret', 'applications', { ...MANAGE_WRITE, secrets: ['webhook-write'] }, "Delete an application's webhook secret"),

  // ---- everything else ----
  {
    name: 'route-fallback',
    handler: 'functions/http/route-fallback.ts',
    routes: [DEFAULT_ROUTE],
    access: {},
    summary: 'Answers 404 for unknown paths and 405 for known paths under another method',
  },
];

/** Whether an operation may call `kms:Sign`. */
export const signs = (operation: Operation): boolean => operation.access.keys === 'sign';

export function findOperation(name: string): Operation {
  const operation = operations.find((candidate) => candidate.name === name);
  if (!operation) throw new TypeError(`no operation named ${name} in the route table`);
  return operation;
}
