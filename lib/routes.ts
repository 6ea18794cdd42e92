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
 * What an operation may do with the token signing keys. What each one grants depends on the signing
 * mode of the deployment (context `signingMode`):
 * - `verify`: read every published public key, to serve the JWKS or to verify Latchkey tokens
 *   locally (never `kms:Verify`). Envelope mode: the key records in the table; KMS mode:
 *   `kms:GetPublicKey` on the published keys.
 * - `sign`: `verify`, plus signing. Envelope mode: `kms:Decrypt` on the key-wrapping key only (the
 *   private half of the current key pair is decrypted once per container); KMS mode: `kms:Sign` on
 *   the published signing keys (the active one signs; a standby key once the active one is retired).
 * - `rotate`: envelope mode: `kms:GenerateDataKeyPairWithoutPlaintext` on the key-wrapping key
 *   and writes to the key records (next → current → previous); KMS mode: `verify`, to retire the
 *   active key in the table's list of retired keys.
 */
export type KeyAccess = 'verify' | 'sign' | 'rotate';

/**
 * Secrets an operation may use. `pepper` keys the hashes of client secrets (read). `webhook` reads
 * the enrichment webhook secrets (`latchkey/<stage>/webhook/*`); `webhook-write` also creates,
 * replaces and deletes them. `canary` reads the canary service account's credentials
 * (`latchkey/<stage>/canary`, a secret the operator creates after bootstrap). `idp` reads the upstream
 * IDP connections' client secrets and private keys (`latchkey/<stage>/idp/*`); `idp-write` creates,
 * replaces and deletes them, never reads.
 */
export type SecretAccess = 'pepper' | 'webhook' | 'webhook-write' | 'canary' | 'idp' | 'idp-write';

/**
 * What an operation may do with the SAML client keys (each SAML client has its own RSA key).
 * - `client-keys`: make SAML client keys (`kms:GenerateDataKeyPairWithoutPlaintext`) and open them
 *   (`kms:Decrypt`) on the SAML key-wrapping key, only with the SAML purpose in the encryption context.
 * - `client-keys-use`: open SAML client keys only (`kms:Decrypt`, same condition), to sign.
 */
export type SamlKeyAccess = 'client-keys' | 'client-keys-use';

/**
 * Lambda functions an operation may invoke directly (`lambda:InvokeFunction`).
 * - `enrichment-webhooks`: the stack's enrichment webhook function and the ARNs listed in the
 *   `enrichmentLambdaArns` context, the Lambda targets applications may name.
 */
export type InvokeAccess = 'enrichment-webhooks';

export interface RouteAccess {
  readonly table?: TableAccess;
  readonly keys?: KeyAccess;
  readonly secrets?: readonly SecretAccess[];
  readonly samlKey?: SamlKeyAccess;
  readonly invoke?: readonly InvokeAccess[];
}

/**
 * API Gateway's per-route throttle (token bucket): steady requests per second and burst. The local
 * runtime enforces the same numbers and answers 429 as API Gateway does.
 */
export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface Route {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/v1/service-accounts/{id}`. */
  readonly path: string;
}

/** The catch-all route that API Gateway sends every unmatched request to. */
export const DEFAULT_ROUTE = { method: 'ANY', path: '$default' } as const;

/**
 * The audit event a mutating operation writes: declared in `AUDITED` below, so every such operation
 * gets one from the shared HTTP stack (`src/http/audit.ts`), after the domain call, for success and
 * failure alike. `action` is `<target type>.<what happened>`. Where the target's ID comes from:
 * - `path:<name>`: a path parameter;
 * - `handle:<name>`: the public ID before the dot of a challenge in the path (never its secret half);
 * - `answer:<field>`: a field of the JSON answer (a create: the new record's ID);
 * - `environment`: the caller's environment.
 * An operation that changes nothing an operator audits (it issues a token, which metrics count)
 * says why instead: `{ exempt: '<reason>' }`.
 */
export type AuditDeclaration = AuditedAction | { readonly exempt: string };
export interface AuditedAction {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: `path:${string}` | `handle:${string}` | `answer:${string}` | 'environment' };
}

export interface Operation {
  /** Unique kebab-case name; also the Lambda's construct id and the local runtime's log name. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly handler: string;
  /**
   * No routes: the function is not reachable over HTTP; it is invoked directly through IAM
   * (`lambda:InvokeFunction`), and the stack outputs its name as `<Name>FunctionName`.
   */
  readonly routes: readonly (Route | typeof DEFAULT_ROUTE)[];
  readonly access: RouteAccess;
  /** @default the throttle of the operation's class; see `throttleOf` */
  readonly throttle?: RouteThrottle;
  /** One line on what the operation does, for the README and the local runtime's banner. */
  readonly summary: string;
  /** From `AUDITED`: required of every mutating management operation (a test holds them to it). */
  readonly audit?: AuditDeclaration;
}

const MANAGE_READ = { table: 'read', keys: 'verify' } as const;
const MANAGE_WRITE = { table: 'readwrite', keys: 'verify' } as const;

/**
 * A management operation under `/v1`, authorised by a bearer token that the function verifies itself:
 * a JWT, or a personal access token, whose keyed hash needs the pepper. So every management
 * operation reads the pepper, added here so an entry that sets its own `secrets` cannot drop it.
 */
function management(name: string, method: HttpMethod, path: string, area: string, access: RouteAccess, summary: string): Operation {
  const secrets: SecretAccess[] = ['pepper', ...(access.secrets ?? []).filter((secret) => secret !== 'pepper')];
  return { name, handler: `functions/${area}/${name}.ts`, routes: [{ method, path: `/v1${path}` }], access: { ...access, secrets }, summary };
}

const table: readonly Operation[] = [
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
  {
    name: 'get-openapi',
    handler: 'functions/discovery/get-openapi.ts',
    routes: [{ method: 'GET', path: '/openapi.json' }],
    access: {},
    summary: 'The OpenAPI 3.1 document of this API, generated from the route table',
  },

  // ---- OAuth ----
  {
    name: 'token',
    handler: 'functions/oauth/token.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/token' }],
    // readwrite: tokens of opaque-token accounts are stored; webhook: the environment's service-account enrichment webhook.
    access: { table: 'readwrite', keys: 'sign', secrets: ['pepper', 'webhook'], invoke: ['enrichment-webhooks'] },
    summary:
      'OAuth token endpoint: client credentials, authorization code (PKCE), refresh token, JWT bearer (RFC 7523) and token exchange (RFC 8693) grants; DPoP-bound tokens (RFC 9449)',
  },
  {
    name: 'push-authorization-request',
    handler: 'functions/oauth/push-authorization-request.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/par' }],
    // readwrite: the pushed request is stored; a private_key_jwt assertion's jti too. pepper: the request_uri is kept as a keyed hash.
    access: { table: 'readwrite', secrets: ['pepper'] },
    summary: 'Pushed authorization requests (RFC 9126): the client authenticates and gets a single-use request_uri for the authorization endpoint',
  },
  {
    name: 'introspect',
    handler: 'functions/oauth/introspect.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/introspect' }],
    // readwrite: a client authenticating with private_key_jwt leaves its assertion's jti behind (replay).
    access: { table: 'readwrite', keys: 'verify', secrets: ['pepper'] },
    summary: 'Token introspection (RFC 7662) for JWTs, opaque tokens and personal access tokens',
  },
  {
    name: 'revoke',
    handler: 'functions/oauth/revoke.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/revoke' }],
    access: { table: 'readwrite', keys: 'verify', secrets: ['pepper'] },
    summary: 'Token revocation (RFC 7009): opaque tokens and PATs at once, JWTs by jti until they expire',
  },

  // ---- service accounts ----
  management(
    'create-service-account',
    'POST',
    '/service-accounts',
    'service-accounts',
    { ...MANAGE_WRITE, secrets: ['pepper'] },
    'Create a service account; answers its secret once',
  ),
  management('list-service-accounts', 'GET', '/service-accounts', 'service-accounts', MANAGE_READ, 'List service accounts, a page at a time'),
  management('get-service-account', 'GET', '/service-accounts/{id}', 'service-accounts', MANAGE_READ, 'Read a service account'),
  management('update-service-account', 'PATCH', '/service-accounts/{id}', 'service-accounts', MANAGE_WRITE, 'Rename, describe, disable or enable a service account'),
  management('delete-service-account', 'DELETE', '/service-accounts/{id}', 'service-accounts', MANAGE_WRITE, 'Delete a service account'),
  management(
    'reset-service-account-secret',
    'POST',
    '/service-accounts/{id}/secret',
    'service-accounts',
    { ...MANAGE_WRITE, secrets: ['pepper'] },
    'Reset a service account secret, optionally with a grace period',
  ),
  management('get-service-account-permissions', 'GET', '/service-accounts/{id}/permissions', 'service-accounts', MANAGE_READ, "Read a service account's permission grants"),
  management('set-service-account-permissions', 'PUT', '/service-accounts/{id}/permissions', 'service-accounts', MANAGE_WRITE, "Replace a service account's permission grants"),
  // readwrite: a token minted for an opaque-token account is stored.
  management(
    'mint-service-account-token',
    'POST',
    '/service-accounts/{id}/access-tokens',
    'service-accounts',
    { table: 'readwrite', keys: 'sign', secrets: ['webhook'], invoke: ['enrichment-webhooks'] },
    'Mint a token for a service account without its secret',
  ),

  // ---- personal access tokens ----
  management(
    'list-personal-access-tokens',
    'GET',
    '/service-accounts/{id}/personal-access-tokens',
    'personal-access-tokens',
    MANAGE_READ,
    "List a service account's personal access tokens (metadata only)",
  ),
  management(
    'create-personal-access-token',
    'POST',
    '/service-accounts/{id}/personal-access-tokens',
    'personal-access-tokens',
    MANAGE_WRITE,
    'Create a personal access token; answers it once',
  ),
  management(
    'get-personal-access-token',
    'GET',
    '/service-accounts/{id}/personal-access-tokens/{patId}',
    'personal-access-tokens',
    MANAGE_READ,
    'Read a personal access token (metadata only)',
  ),
  management(
    'delete-personal-access-token',
    'DELETE',
    '/service-accounts/{id}/personal-access-tokens/{patId}',
    'personal-access-tokens',
    MANAGE_WRITE,
    'Revoke a personal access token',
  ),

  // ---- service-account keys ----
  management('list-service-account-keys', 'GET', '/service-accounts/{id}/keys', 'service-accounts', MANAGE_READ, "List a service account's keys (public halves)"),
  management(
    'create-service-account-key',
    'POST',
    '/service-accounts/{id}/keys',
    'service-accounts',
    MANAGE_WRITE,
    'Register a public key, or make a key pair and answer its private key once',
  ),
  management('get-service-account-key', 'GET', '/service-accounts/{id}/keys/{keyId}', 'service-accounts', MANAGE_READ, 'Read a service account key (public half)'),
  management('delete-service-account-key', 'DELETE', '/service-accounts/{id}/keys/{keyId}', 'service-accounts', MANAGE_WRITE, 'Delete a service account key'),

  // ---- resources and environment ----
  management('list-resources', 'GET', '/resources', 'resources', MANAGE_READ, 'List resources, the built-in one first'),
  management('create-resource', 'POST', '/resources', 'resources', MANAGE_WRITE, 'Create a resource with its permissions'),
  management('get-resource', 'GET', '/resources/{key}', 'resources', MANAGE_READ, 'Read a resource'),
  management('update-resource', 'PATCH', '/resources/{key}', 'resources', MANAGE_WRITE, 'Change a resource'),
  management('delete-resource', 'DELETE', '/resources/{key}', 'resources', MANAGE_WRITE, 'Delete a resource'),
  management('get-environment', 'GET', '/environment', 'environment', MANAGE_READ, "Read the caller's environment settings"),
  management('update-environment', 'PATCH', '/environment', 'environment', { ...MANAGE_WRITE, secrets: ['webhook-write'] }, "Change the caller's environment settings"),

  // ---- applications (enrichment webhook settings live here) ----
  management('list-applications', 'GET', '/applications', 'applications', MANAGE_READ, 'List applications, a page at a time'),
  management('create-application', 'POST', '/applications', 'applications', MANAGE_WRITE, 'Create an application with its end-user token lifetime and enrichment webhook'),
  management('get-application', 'GET', '/applications/{id}', 'applications', MANAGE_READ, 'Read an application'),
  management('update-application', 'PATCH', '/applications/{id}', 'applications', MANAGE_WRITE, 'Change an application and its enrichment webhook'),
  management('delete-application', 'DELETE', '/applications/{id}', 'applications', { ...MANAGE_WRITE, secrets: ['webhook-write'] }, 'Delete an application and its webhook secret'),
  management(
    'create-webhook-secret',
    'POST',
    '/applications/{id}/webhook-secret',
    'applications',
    { ...MANAGE_WRITE, secrets: ['webhook-write'] },
    "Generate an application's webhook secret; answers it once",
  ),
  management(
    'delete-webhook-secret',
    'DELETE',
    '/applications/{id}/webhook-secret',
    'applications',
    { ...MANAGE_WRITE, secrets: ['webhook-write'] },
    "Delete an application's webhook secret",
  ),

  // ---- delegated authentication ----
  management('list-idp-connections', 'GET', '/idp-connections', 'idp-connections', MANAGE_READ, 'List IDP connections'),
  // idp-write: an upstream connection's client secret or private key goes to Secrets Manager.
  management(
    'create-idp-connection',
    'POST',
    '/idp-connections',
    'idp-connections',
    { ...MANAGE_WRITE, secrets: ['idp-write'], samlKey: 'client-keys' },
    'Create an IDP connection: the delegated one, or an upstream identity provider',
  ),
  management('get-idp-connection', 'GET', '/idp-connections/{id}', 'idp-connections', MANAGE_READ, 'Read an IDP connection'),
  management(
    'update-idp-connection',
    'PATCH',
    '/idp-connections/{id}',
    'idp-connections',
    { ...MANAGE_WRITE, secrets: ['idp-write'], samlKey: 'client-keys' },
    'Change an IDP connection: enable, disable, rename, assign it to applications, change its upstream settings',
  ),
  management('delete-idp-connection', 'DELETE', '/idp-connections/{id}', 'idp-connections', { ...MANAGE_WRITE, secrets: ['idp-write'] }, 'Delete an IDP connection and its secret'),
  management(
    'generate-delegated-access-token',
    'POST',
    '/delegated-access-tokens',
    'delegated-access-tokens',
    // readwrite: end users and profiles are created on first use; webhook: the enrichment secret and Lambda targets.
    { table: 'readwrite', keys: 'sign', secrets: ['webhook'], invoke: ['enrichment-webhooks'] },
    'Generate an end-user access token for a subject a service account vouches for',
  ),
  management('list-users', 'GET', '/users', 'users', MANAGE_READ, 'List end users, a page at a time'),
  management('get-user', 'GET', '/users/{id}', 'users', MANAGE_READ, 'Read an end user with its profiles'),
  // sign: back-channel logout tokens to the applications of the clients the user's sessions signed in to.
  management('update-user', 'PATCH', '/users/{id}', 'users', { table: 'readwrite', keys: 'sign' }, 'Disable or enable an end user (disabling ends its sessions and tokens)'),
  management('delete-user', 'DELETE', '/users/{id}', 'users', { table: 'readwrite', keys: 'sign' }, 'Delete an end user with its profiles, sessions and consents'),
  management('list-user-sessions', 'GET', '/users/{id}/sessions', 'users', MANAGE_READ, "List an end user's live browser sessions"),
  management(
    'delete-user-sessions',
    'DELETE',
    '/users/{id}/sessions',
    'users',
    { table: 'readwrite', keys: 'sign' },
    'Sign an end user out everywhere: every session and earlier token ends',
  ),
  management('delete-user-session', 'DELETE', '/users/{id}/sessions/{sessionId}', 'users', { table: 'readwrite', keys: 'sign' }, "End one of an end user's sessions"),
  {
    name: 'enrichment-webhook',
    handler: 'functions/webhook/enrichment-webhook.ts',
    routes: [],
    access: { secrets: ['webhook'] },
    summary: 'Example enrichment webhook: verifies signed requests and answers claims; invoked by ARN',
  },

  // ---- audit log ----
  management('list-audit-events', 'GET', '/audit-events', 'audit', MANAGE_READ, 'List audit events, newest first, by action, actor, target and time (AUDIT_READ)'),
  management('verify-audit-chain', 'GET', '/audit-events/verify', 'audit', MANAGE_READ, "Check the audit log's hash chain and answer where it breaks (AUDIT_READ)"),

  // ---- GraphQL compatibility ----
  {
    name: 'graphql',
    handler: 'functions/graphql/graphql.ts',
    routes: [{ method: 'POST', path: '/graphql' }],
    // As the token endpoint (the same issuance): readwrite because opaque-token accounts' tokens are stored,
    // and as generate-delegated-access-token for the generateDelegatedAccessToken mutation.
    access: { table: 'readwrite', keys: 'sign', secrets: ['pepper', 'webhook'], invoke: ['enrichment-webhooks'] },
    summary: 'GraphQL compatibility: the authenticateServiceAccount and generateDelegatedAccessToken mutations',
  },

  // ---- operations (invoked through IAM only, never over HTTP) ----
  {
    name: 'bootstrap',
    handler: 'functions/ops/bootstrap-environment.ts',
    routes: [],
    access: { table: 'readwrite', secrets: ['pepper'] },
    summary:
      'Creates a tenant, an environment and its first administrator; invoked by `npm run create-tenant`. `{"action": "grant-management-permissions"}` gives an existing administrator every built-in permission',
  },
  {
    name: 'rotate-signing-keys',
    handler: 'functions/ops/rotate-signing-keys.ts',
    routes: [],
    access: { table: 'readwrite', keys: 'rotate' },
    summary:
      'Envelope mode: makes a new next signing key and moves next → current → previous; run on a schedule and by `npm run rotate-signing-keys`. Both modes: `{"retireCurrent": true}` retires the current key at once',
  },
  {
    name: 'run-canary',
    handler: 'functions/ops/run-canary.ts',
    routes: [],
    access: { secrets: ['canary'] },
    summary:
      'Fetches the JWKS and gets a token with the canary service account through the public API, and reports failures and latency; run every minute with context canary=true',
  },

  // ---- OIDC and SAML clients of applications ----
  management('list-clients', 'GET', '/applications/{id}/clients', 'clients', MANAGE_READ, "List an application's OIDC clients"),
  management('create-client', 'POST', '/applications/{id}/clients', 'clients', MANAGE_WRITE, 'Create an OIDC client; answers its client secret once'),
  management('get-client', 'GET', '/applications/{id}/clients/{clientId}', 'clients', MANAGE_READ, 'Read an OIDC client'),
  management('update-client', 'PATCH', '/applications/{id}/clients/{clientId}', 'clients', MANAGE_WRITE, "Change an OIDC client's settings"),
  management('delete-client', 'DELETE', '/applications/{id}/clients/{clientId}', 'clients', MANAGE_WRITE, 'Delete an OIDC client'),
  management('rotate-client-secret', 'POST', '/applications/{id}/clients/{clientId}/secret', 'clients', MANAGE_WRITE, "Rotate an OIDC client's secret; answers it once"),
  management('list-saml-clients', 'GET', '/applications/{id}/saml-clients', 'saml-clients', MANAGE_READ, "List an application's SAML clients"),
  management(
    'create-saml-client',
    'POST',
    '/applications/{id}/saml-clients',
    'saml-clients',
    { ...MANAGE_WRITE, samlKey: 'client-keys' },
    'Create a SAML client with its own signing key and certificate',
  ),
  management('get-saml-client', 'GET', '/applications/{id}/saml-clients/{clientId}', 'saml-clients', MANAGE_READ, 'Read a SAML client'),
  management('update-saml-client', 'PATCH', '/applications/{id}/saml-clients/{clientId}', 'saml-clients', MANAGE_WRITE, "Change a SAML client's settings"),
  management('delete-saml-client', 'DELETE', '/applications/{id}/saml-clients/{clientId}', 'saml-clients', MANAGE_WRITE, 'Delete a SAML client'),
  management(
    'rotate-saml-certificate',
    'POST',
    '/applications/{id}/saml-clients/{clientId}/certificate',
    'saml-clients',
    { ...MANAGE_WRITE, samlKey: 'client-keys' },
    "Roll a SAML client's signing key over: publish a next key, then make it current",
  ),
  {
    name: 'get-saml-metadata',
    handler: 'functions/saml/get-saml-metadata.ts',
    routes: [{ method: 'GET', path: '/saml/{clientId}/metadata' }],
    access: { table: 'read', samlKey: 'client-keys-use' },
    summary: "A SAML client's IdP metadata, signed by its key (public)",
  },
  {
    name: 'single-sign-on',
    handler: 'functions/saml/single-sign-on.ts',
    routes: [
      { method: 'GET', path: '/saml/{clientId}/sso' },
      { method: 'POST', path: '/saml/{clientId}/sso' },
    ],
    // readwrite: the authorization request and the single use of AuthnRequest IDs; pepper: the handle's keyed hash.
    access: { table: 'readwrite', secrets: ['pepper'] },
    summary: 'SAML SSO URL (SAML profiles §4.1): AuthnRequest over HTTP-Redirect or HTTP-POST, then the login',
  },
  {
    name: 'get-saml-sp-metadata',
    handler: 'functions/saml/get-sp-metadata.ts',
    routes: [{ method: 'GET', path: '/saml/sp/{connectionId}/metadata' }],
    access: { table: 'read', samlKey: 'client-keys-use' },
    summary: "A SAML connection's service-provider metadata, signed by its key (public)",
  },
  {
    name: 'consume-saml-response',
    handler: 'functions/saml/consume-saml-response.ts',
    routes: [{ method: 'POST', path: '/saml/sp/{connectionId}/acs' }],
    // readwrite: the login is answered, the end user found or created, the assertion ID recorded once; pepper: the state's keyed hash.
    access: { table: 'readwrite', secrets: ['pepper'] },
    summary: 'Assertion consumer service of SAML connections (SAML profiles §4.1.4.5): checks the upstream Response and logs the end user in',
  },

  // ---- interactive login: authorization code flow, login and consent on the application's pages ----
  {
    name: 'authorize',
    handler: 'functions/oauth/authorize.ts',
    routes: [
      { method: 'GET', path: '/oauth/v2/authorize' },
      { method: 'POST', path: '/oauth/v2/authorize' },
    ],
    // readwrite: authorization requests, sessions and codes; pepper: their secrets are kept as keyed hashes.
    access: { table: 'readwrite', secrets: ['pepper'], samlKey: 'client-keys-use' },
    summary: 'Authorization endpoint (RFC 6749 §4.1, OpenID Connect Core §3.1): code flow with PKCE, login and consent on the application',
  },
  {
    name: 'choose-identity-provider',
    handler: 'functions/oauth/choose-identity-provider.ts',
    routes: [{ method: 'GET', path: '/oauth/v2/idp/login' }],
    // readwrite: the request's upstream leg, and the audit event of a failed start; pepper: the state's keyed hash; samlKey: a SAML connection signs its AuthnRequest.
    access: { table: 'readwrite', secrets: ['pepper'], samlKey: 'client-keys-use' },
    summary: 'The choice page of an application without loginUrl: which upstream identity provider, by email domain or by name',
  },
  {
    name: 'complete-upstream-login',
    handler: 'functions/oauth/complete-upstream-login.ts',
    routes: [{ method: 'GET', path: '/oauth/v2/idp/callback' }],
    // readwrite: the request is answered and the end user found or created; idp: the client secret for the upstream token endpoint.
    access: { table: 'readwrite', secrets: ['pepper', 'idp'] },
    summary: 'Redirect URI of upstream OpenID providers: checks their answer and logs the end user in',
  },
  {
    name: 'upstream-backchannel-logout',
    handler: 'functions/oauth/upstream-backchannel-logout.ts',
    routes: [{ method: 'POST', path: '/oauth/v2/idp/backchannel-logout' }],
    // readwrite: sessions end and logout tokens' jti are recorded; sign: logout tokens to the applications.
    access: { table: 'readwrite', keys: 'sign', secrets: ['pepper'] },
    summary: 'Back-channel logout from upstream OpenID providers (Back-Channel Logout 1.0): ends the Latchkey sessions of that user',
  },
  {
    name: 'get-authorization-server-metadata',
    handler: 'functions/discovery/get-openid-configuration.ts',
    routes: [{ method: 'GET', path: '/.well-known/oauth-authorization-server' }],
    access: {},
    summary: 'OAuth 2.0 authorization server metadata (RFC 8414), the same document as OpenID discovery',
  },
  {
    name: 'userinfo',
    handler: 'functions/oauth/userinfo.ts',
    routes: [
      { method: 'GET', path: '/oauth/v2/userinfo' },
      { method: 'POST', path: '/oauth/v2/userinfo' },
    ],
    access: { table: 'read', keys: 'verify' },
    summary: "UserInfo endpoint (OpenID Connect Core §5.3): the end user's claims the access token's scopes release",
  },
  {
    name: 'end-session',
    handler: 'functions/oauth/end-session.ts',
    routes: [
      { method: 'GET', path: '/oauth/v2/end_session' },
      { method: 'POST', path: '/oauth/v2/end_session' },
    ],
    // readwrite: sessions are deleted; sign: back-channel logout tokens to the application's logoutUrl.
    access: { table: 'readwrite', keys: 'sign', secrets: ['pepper'] },
    summary: 'RP-initiated logout: ends the browser session and tells the application of every client it signed in to by back-channel logout token',
  },
  management('get-login-request', 'GET', '/login-requests/{challenge}', 'interactive-login', MANAGE_READ, 'Read a waiting login request (LOGIN_REQUESTS_ACCEPT)'),
  // readwrite: accepting finds or creates the end user and profile, as delegated tokens do.
  management(
    'accept-login-request',
    'POST',
    '/login-requests/{challenge}/accept',
    'interactive-login',
    MANAGE_WRITE,
    'Accept a login request for a subject; answers where the browser goes next',
  ),
  management('reject-login-request', 'POST', '/login-requests/{challenge}/reject', 'interactive-login', MANAGE_WRITE, 'Reject a login request; the client is told the error'),
  management('get-consent-request', 'GET', '/consent-requests/{challenge}', 'interactive-login', MANAGE_READ, 'Read a waiting consent request (LOGIN_REQUESTS_ACCEPT)'),
  management(
    'accept-consent-request',
    'POST',
    '/consent-requests/{challenge}/accept',
    'interactive-login',
    MANAGE_WRITE,
    'Grant scopes to a client; answers where the browser goes next',
  ),
  management('reject-consent-request', 'POST', '/consent-requests/{challenge}/reject', 'interactive-login', MANAGE_WRITE, 'Refuse consent; the client is told the error'),

  // ---- everything else ----
  {
    name: 'route-fallback',
    handler: 'functions/http/route-fallback.ts',
    routes: [DEFAULT_ROUTE],
    access: {},
    summary: 'Answers 404 for unknown paths and 405 for known paths under another method',
  },
];

const audited = (action: string, type: string, id: AuditedAction['target']['id']): AuditedAction => ({ action, target: { type, id } });

/**
 * The audit declaration of every mutating management operation, by operation name (see
 * `AuditDeclaration`). A new POST, PUT, PATCH or DELETE under `/v1` needs a line here.
 */
const AUDITED: Readonly<Record<string, AuditDeclaration>> = {
  'create-service-account': audited('service_account.created', 'service_account', 'answer:id'),
  'update-service-account': audited('service_account.updated', 'service_account', 'path:id'),
  'delete-service-account': audited('service_account.deleted', 'service_account', 'path:id'),
  'reset-service-account-secret': audited('service_account.secret_reset', 'service_account', 'path:id'),
  'set-service-account-permissions': audited('service_account.permissions_granted', 'service_account', 'path:id'),
  'mint-service-account-token': audited('service_account.token_minted', 'service_account', 'path:id'),
  'create-personal-access-token': audited('personal_access_token.created', 'personal_access_token', 'answer:id'),
  'delete-personal-access-token': audited('personal_access_token.deleted', 'personal_access_token', 'path:patId'),
  'create-service-account-key': audited('service_account_key.created', 'service_account_key', 'answer:id'),
  'delete-service-account-key': audited('service_account_key.deleted', 'service_account_key', 'path:keyId'),
  'create-resource': audited('resource.created', 'resource', 'answer:key'),
  'update-resource': audited('resource.updated', 'resource', 'path:key'),
  'delete-resource': audited('resource.deleted', 'resource', 'path:key'),
  'update-environment': audited('environment.updated', 'environment', 'environment'),
  'create-application': audited('application.created', 'application', 'answer:id'),
  'update-application': audited('application.updated', 'application', 'path:id'),
  'delete-application': audited('application.deleted', 'application', 'path:id'),
  'create-webhook-secret': audited('application.webhook_secret_created', 'application', 'path:id'),
  'delete-webhook-secret': audited('application.webhook_secret_deleted', 'application', 'path:id'),
  'create-idp-connection': audited('idp_connection.created', 'idp_connection', 'answer:id'),
  'update-idp-connection': audited('idp_connection.updated', 'idp_connection', 'path:id'),
  'delete-idp-connection': audited('idp_connection.deleted', 'idp_connection', 'path:id'),
  'generate-delegated-access-token': { exempt: 'issues an end-user token, as the token endpoint does: counted by metrics, not audited one by one' },
  'create-client': audited('client.created', 'client', 'answer:clientId'),
  'update-client': audited('client.updated', 'client', 'path:clientId'),
  'delete-client': audited('client.deleted', 'client', 'path:clientId'),
  'rotate-client-secret': audited('client.secret_rotated', 'client', 'path:clientId'),
  'create-saml-client': audited('saml_client.created', 'saml_client', 'answer:clientId'),
  'update-saml-client': audited('saml_client.updated', 'saml_client', 'path:clientId'),
  'delete-saml-client': audited('saml_client.deleted', 'saml_client', 'path:clientId'),
  'rotate-saml-certificate': audited('saml_client.certificate_rotated', 'saml_client', 'path:clientId'),
  'accept-login-request': audited('login_request.accepted', 'login_request', 'handle:challenge'),
  'reject-login-request': audited('login_request.rejected', 'login_request', 'handle:challenge'),
  'accept-consent-request': audited('consent_request.accepted', 'consent_request', 'handle:challenge'),
  'reject-consent-request': audited('consent_request.rejected', 'consent_request', 'handle:challenge'),
  'update-user': audited('user.updated', 'user', 'path:id'),
  'delete-user': audited('user.deleted', 'user', 'path:id'),
  'delete-user-sessions': audited('user.signed_out_everywhere', 'user', 'path:id'),
  'delete-user-session': audited('user.session_ended', 'user', 'path:id'),
};

for (const name of Object.keys(AUDITED)) {
  if (!table.some((operation) => operation.name === name)) throw new TypeError(`AUDITED names ${name}, which is not an operation of the route table`);
}

export const operations: readonly Operation[] = table.map((operation) => (AUDITED[operation.name] ? { ...operation, audit: AUDITED[operation.name] } : operation));

/**
 * Default throttles by class of route, so one noisy client of the management API cannot starve the
 * token endpoint (and the other way round). The stage-wide account limit still applies above these.
 */
export const DEFAULT_THROTTLES = {
  /**
   * Token issuance (the token endpoint, and delegated access tokens through REST as through GraphQL:
   * one operation, one limit, whichever door), introspection, revocation and the GraphQL endpoint.
   */
  token: { rateLimit: 500, burstLimit: 1000 },
  /** The `/v1` management API. */
  management: { rateLimit: 50, burstLimit: 100 },
  /** Public, cacheable documents: discovery, JWKS, SAML metadata, the 404 fallback. */
  public: { rateLimit: 100, burstLimit: 200 },
} as const satisfies Record<string, RouteThrottle>;

// generate-delegated-access-token issues a token per end-user sign-in, as the token endpoint does per
// client, and GraphQL serves it too (generateDelegatedAccessToken): both doors need the same class.
const TOKEN_CLASS = new Set(['token', 'introspect', 'revoke', 'graphql', 'generate-delegated-access-token', 'push-authorization-request']);

/** The throttle that applies to an operation: its own, or its class's default. */
export function throttleOf(operation: Operation): RouteThrottle {
  if (operation.throttle) return operation.throttle;
  if (TOKEN_CLASS.has(operation.name)) return DEFAULT_THROTTLES.token;
  if (operation.routes.some((route) => route.path.startsWith('/v1/'))) return DEFAULT_THROTTLES.management;
  return DEFAULT_THROTTLES.public;
}

/** Whether an operation may call `kms:Sign` with the token signing key. */
export const signs = (operation: Operation): boolean => operation.access.keys === 'sign';

export function findOperation(name: string): Operation {
  const operation = operations.find((candidate) => candidate.name === name);
  if (!operation) throw new TypeError(`no operation named ${name} in the route table`);
  return operation;
}
