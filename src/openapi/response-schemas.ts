import { SAML_METADATA_CONTENT_TYPE } from '../domain/saml/metadata';
import { AUTH_METHODS, CLIENT_TYPES, ID_TOKEN_ALGORITHMS, NAME_ID_TYPES, PKCE_MODES } from '../domain/clients/model';
import type { JsonSchema } from './request-schemas';

/**
 * The bodies Latchkey answers, as JSON Schema (draft 2020-12): written once here, used by the OpenAPI
 * document and by the contract test that checks real answers against it. Objects allow properties
 * not listed, so adding a field to an answer is not a breaking change; the fields a client relies on
 * are `required`.
 */

const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };
const bool: JsonSchema = { type: 'boolean' };
const strings: JsonSchema = { type: 'array', items: str };
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const object = (required: readonly string[], properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', required, properties });
const page = (item: string): JsonSchema =>
  object(['items'], { items: { type: 'array', items: ref(item) }, cursor: { type: 'string', description: 'Present when there is a next page: pass it back as `?cursor=`' } });
const list = (item: string): JsonSchema => object(['items'], { items: { type: 'array', items: ref(item) } });

/** The error bodies of each surface. */
export const ERROR_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Problem: {
    ...object(['type', 'title', 'status', 'detail', 'code'], {
      type: { type: 'string', description: '`urn:latchkey:problem:<code>`' },
      title: str,
      status: int,
      detail: str,
      code: { type: 'string', description: 'Latchkey’s stable error code' },
      errors: {
        type: 'array',
        description: 'One entry per invalid field',
        items: object(['path', 'message'], { path: { type: 'string', description: 'Dotted path of the field; empty for the whole body' }, message: str }),
      },
    }),
    description: 'RFC 9457 problem details',
  },
  OAuthError: object(['error'], { error: str, error_description: str }),
  GraphqlResponse: object(['data'], {
    data: { type: ['object', 'null'] },
    errors: { type: 'array', items: object(['message'], { message: str, extensions: object(['code'], { code: str }) }) },
  }),
  GatewayMessage: { ...object(['message'], { message: str }), description: 'An answer of API Gateway itself' },
};

const grant = object(['resource', 'permissions'], { resource: str, permissions: strings });
/**
 * Secrets are shown once, in the answer that makes them: every other answer must be free of them,
 * and of any hash kept in their place. Read schemas forbid these properties, so the contract test
 * fails if a read, list or update ever answers one.
 */
export const SECRET_PROPERTIES = ['clientSecret', 'token', 'webhookSecret', 'secret', 'hash', 'secretHash', 'tokenHash', 'storedHash', 'previousSecretHash'] as const;
const NO_SECRETS: JsonSchema = { not: { anyOf: SECRET_PROPERTIES.map((name) => ({ required: [name] })) } };
const withoutSecrets = (schema: JsonSchema): JsonSchema => ({ allOf: [schema, NO_SECRETS] });
const withSecret = (schema: JsonSchema, secret: string, description: string): JsonSchema => ({
  allOf: [schema, object([secret], { [secret]: { type: 'string', description } })],
});
/** Who made a record, where and when: every stored entity has these. */
const stored = { environmentId: str, tenantId: str, createdAt: str, updatedAt: str };
const STORED = ['environmentId', 'tenantId', 'createdAt', 'updatedAt'] as const;
const loginRequest = {
  challenge: str,
  clientId: str,
  clientName: str,
  applicationId: str,
  requestedScopes: strings,
  prompt: strings,
  loginHint: str,
  expiresAt: str,
};
const LOGIN_REQUEST = ['challenge', 'clientId', 'applicationId', 'requestedScopes', 'prompt', 'expiresAt'] as const;
const issuedToken = object(['accessToken', 'tokenType', 'expiresInSeconds'], { accessToken: str, tokenType: { const: 'Bearer' }, expiresInSeconds: int });

const serviceAccount = object(['id', 'clientId', 'name', 'accessTokenType', 'disabled', 'grants', 'version', ...STORED], {
  id: str,
  clientId: { type: 'string', description: '`<id>@<environmentId>`: the OAuth client ID' },
  name: str,
  description: str,
  userName: str,
  accessTokenType: { enum: ['jwt', 'opaque'] },
  requireDpop: bool,
  disabled: bool,
  grants: { type: 'object', description: 'Permissions by resource key', additionalProperties: strings },
  version: int,
  ...stored,
});
const personalAccessToken = object(['id', 'serviceAccountId', 'createdAt', 'expiresAt'], { id: str, serviceAccountId: str, name: str, createdAt: str, expiresAt: str });
const serviceAccountKey = object(['id', 'serviceAccountId', 'publicKeyJwk', 'algorithms', 'generated', 'createdAt'], {
  id: str,
  serviceAccountId: str,
  publicKeyJwk: { type: 'object', description: 'The public JWK, `kid` the key ID; never private members' },
  algorithms: strings,
  generated: bool,
  createdAt: str,
  expiresAt: str,
});
const keyFile = object(['type', 'keyId', 'clientId', 'key'], {
  type: { const: 'serviceaccount' },
  keyId: str,
  clientId: str,
  key: { type: 'object', description: 'The private JWK (P-256, ES256): shown this once, never stored' },
});
const application = object(['id', 'name', 'endUserTokenTtlSeconds', 'webhookSecretConfigured', ...STORED], {
  id: str,
  name: str,
  description: str,
  endUserTokenTtlSeconds: int,
  webhook: object(['target', 'failurePolicy', 'timeoutMs'], { target: str, failurePolicy: { enum: ['fail', 'omit'] }, timeoutMs: int }),
  webhookSecretConfigured: bool,
  loginUrl: str,
  consentUrl: str,
  logoutUrl: str,
  ...stored,
});
const oidcClient = object(['id', 'clientId', 'applicationId', 'protocol', 'name', 'redirectUris', 'clientType', 'thirdParty', 'authMethod', 'pkce', ...STORED], {
  id: str,
  clientId: str,
  applicationId: str,
  protocol: { const: 'oidc' },
  name: str,
  description: str,
  redirectUris: strings,
  postLogoutRedirectUris: strings,
  clientType: { enum: [...CLIENT_TYPES] },
  thirdParty: bool,
  authMethod: { enum: [...AUTH_METHODS] },
  pkce: { enum: [...PKCE_MODES] },
  idTokenSignedResponseAlg: { enum: [...ID_TOKEN_ALGORITHMS] },
  tokenExchange: bool,
  requireDpop: bool,
  backchannelLogoutUri: str,
  backchannelLogoutSessionRequired: bool,
  requirePar: bool,
  scopes: strings,
  accessTokenTtlSeconds: int,
  refreshTokenTtlSeconds: int,
  ...stored,
});

export const RESPONSE_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  OpenIdConfiguration: object(['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'grant_types_supported'], {
    issuer: str,
    authorization_endpoint: str,
    token_endpoint: str,
    userinfo_endpoint: str,
    end_session_endpoint: str,
    introspection_endpoint: str,
    revocation_endpoint: str,
    jwks_uri: str,
    response_types_supported: strings,
    grant_types_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    code_challenge_methods_supported: strings,
    scopes_supported: strings,
    pushed_authorization_request_endpoint: str,
    require_pushed_authorization_requests: bool,
    backchannel_logout_supported: bool,
    backchannel_logout_session_supported: bool,
  }),
  PushedAuthorizationResponse: object(['request_uri', 'expires_in'], {
    request_uri: { type: 'string', description: 'urn:ietf:params:oauth:request_uri:…, for one authorization request by this client' },
    expires_in: int,
  }),
  Jwks: object(['keys'], { keys: { type: 'array', items: object(['kty', 'kid', 'alg', 'use'], { kty: { enum: ['EC', 'RSA'] }, kid: str, alg: str, use: { const: 'sig' } }) } }),
  OpenApiDocument: object(['openapi', 'info', 'paths', 'components'], {
    openapi: { const: '3.1.0' },
    info: { type: 'object' },
    paths: { type: 'object' },
    components: { type: 'object' },
  }),
  TokenResponse: object(['access_token', 'token_type', 'expires_in'], {
    access_token: str,
    token_type: { enum: ['Bearer', 'DPoP'] },
    expires_in: int,
    scope: str,
    refresh_token: str,
    id_token: str,
    issued_token_type: str,
  }),
  Introspection: {
    ...object(['active'], { active: bool, sub: str, client_id: str, aud: { oneOf: [str, strings] }, exp: int, iat: int, jti: str, token_type: str, tokenKind: str }),
    description: 'RFC 7662 §2.2: `{"active": false}` alone for a token that is not active',
  },
  UserInfo: object(['sub'], { sub: str, name: str, email: str, email_verified: { type: 'boolean' }, updated_at: int }),
  ServiceAccount: withoutSecrets(serviceAccount),
  ServiceAccountWithSecret: withSecret(serviceAccount, 'clientSecret', 'The client secret, shown this once'),
  ServiceAccountPage: page('ServiceAccount'),
  Grants: object(['grants'], { grants: { type: 'array', items: grant } }),
  IssuedToken: issuedToken,
  PersonalAccessToken: withoutSecrets(personalAccessToken),
  PersonalAccessTokenWithToken: withSecret(personalAccessToken, 'token', 'The personal access token, shown this once'),
  PersonalAccessTokenPage: page('PersonalAccessToken'),
  ServiceAccountKey: { allOf: [withoutSecrets(serviceAccountKey), { not: { required: ['keyFile'] } }] },
  CreatedServiceAccountKey: { allOf: [serviceAccountKey, object([], { keyFile })] },
  ServiceAccountKeyList: list('ServiceAccountKey'),
  Resource: object(['key', 'name', 'audience', 'permissions', 'builtIn'], {
    key: str,
    name: str,
    description: str,
    audience: str,
    permissions: strings,
    accessTokenTtlSeconds: int,
    builtIn: bool,
    createdAt: str,
    updatedAt: str,
    version: int,
  }),
  ResourceList: list('Resource'),
  Environment: object(['id', 'tenantId', 'name', 'serviceAccountTokenTtlSeconds', 'version'], {
    id: str,
    tenantId: str,
    tenantName: str,
    name: str,
    serviceAccountTokenTtlSeconds: int,
    personalAccessTokenMaxLifetimeSeconds: int,
    createdAt: str,
    updatedAt: str,
    version: int,
    serviceAccountTokenWebhook: object(['target', 'failurePolicy', 'timeoutMs'], { target: str, failurePolicy: { enum: ['fail', 'omit'] }, timeoutMs: int }),
    serviceAccountTokenWebhookSecretConfigured: bool,
    serviceAccountTokenWebhookSecret: { type: 'string', description: 'The service-account webhook signing secret, shown this once, when the setting is first made' },
  }),
  Application: withoutSecrets(application),
  ApplicationWithWebhookSecret: withSecret(application, 'webhookSecret', 'The webhook signing secret, shown this once'),
  ApplicationPage: page('Application'),
  IdpConnection: object(['id', 'type', 'name', 'enabled', 'applicationIds', ...STORED], {
    id: str,
    type: { enum: ['delegated', 'oidc', 'saml'] },
    name: str,
    enabled: bool,
    tokensValidAfter: { type: 'string', description: 'Tokens and sessions of the connection’s users dated at or before this time are refused (set by disabling the connection)' },
    applicationIds: strings,
    emailDomains: { ...strings, description: 'Upstream connections: the email domains routed to this identity provider' },
    linkByVerifiedEmail: { type: 'boolean', description: 'Upstream connections: a first login joins the existing user with the same email, if the upstream verified it' },
    issuer: { type: 'string', description: 'oidc: the upstream OpenID provider' },
    clientId: { type: 'string', description: 'oidc: Latchkey’s client ID at the upstream (the secret is never answered)' },
    scopes: { type: 'string', description: 'oidc: the scopes asked of the upstream' },
    claimMapping: { type: 'object', additionalProperties: { type: 'string' }, description: 'oidc: the upstream claim read for email, email_verified and name' },
    clientAuthentication: { enum: ['client_secret_basic', 'private_key_jwt'] },
    redirectUri: { type: 'string', description: 'oidc: the redirect URI to register at the upstream, the same for every connection' },
    backchannelLogoutUri: { type: 'string', description: 'oidc: the back-channel logout URI to register at the upstream, one per connection' },
    idp: {
      ...object(['entityId', 'ssoUrl', 'ssoBinding', 'certificates', 'nameIdFormats', 'wantAuthnRequestsSigned'], {
        entityId: str,
        ssoUrl: str,
        ssoBinding: { enum: ['redirect', 'post'] },
        certificates: { ...strings, description: 'The signing certificates (PEM) responses are checked with, pinned from the metadata' },
        nameIdFormats: strings,
        wantAuthnRequestsSigned: bool,
      }),
      description: 'saml: the upstream identity provider as its metadata described it when the connection was saved',
    },
    idpMetadataUrl: { type: 'string', description: 'saml: where the metadata was fetched from, when given as a URL' },
    nameIdFormat: { type: 'string', description: 'saml: the NameID format asked of the IdP (persistent, emailAddress or unspecified)' },
    attributeMapping: { type: 'object', additionalProperties: { type: 'string' }, description: 'saml: the attribute read for subject, email, email_verified and name' },
    spEntityId: { type: 'string', description: 'saml: Latchkey’s service-provider entity ID for this connection' },
    acsUrl: { type: 'string', description: 'saml: the assertion consumer service URL to register at the IdP' },
    metadataUrl: { type: 'string', description: 'saml: the SP metadata to import at the IdP' },
    spCertificate: { type: 'string', description: 'saml: the certificate (PEM) Latchkey signs AuthnRequests with' },
    ...stored,
  }),
  IdpConnectionList: list('IdpConnection'),
  DelegatedAccessToken: {
    allOf: [issuedToken, object(['payload'], { payload: { ...object(['iss', 'sub', 'aud', 'exp'], {}), description: 'The claims of the access token' } })],
  },
  User: object(['id', 'idpConnectionId', 'subjectId', 'disabled', ...STORED], {
    id: str,
    idpConnectionId: str,
    subjectId: { type: ['string', 'number'] },
    email: str,
    emailVerified: { type: 'boolean', description: 'Whether the identity provider said it verified the email, as of the last login that gave one' },
    name: str,
    disabled: { type: 'boolean', description: 'A disabled user gets no token by any grant' },
    tokensValidAfter: { type: 'string', description: 'Tokens of the user issued at or before this time are refused (set by disabling and by signing out everywhere)' },
    ...stored,
  }),
  UserWithProfiles: {
    allOf: [
      ref('User'),
      object(['profiles'], {
        profiles: {
          type: 'array',
          items: object(['id', 'userId', 'isDefault', 'createdAt'], {
            id: str,
            userId: str,
            isDefault: bool,
            uniqueProfileIdentifier: { type: ['string', 'number'] },
            createdAt: str,
          }),
        },
      }),
    ],
  },
  UserPage: page('User'),
  UserSession: object(['id', 'userId', 'profileId', 'authenticatedAt', 'expiresAt', 'clients'], {
    id: { type: 'string', description: 'The session ID, the `sid` claim of its ID tokens' },
    userId: str,
    profileId: str,
    authenticatedAt: str,
    expiresAt: str,
    amr: strings,
    clients: { ...strings, description: 'IDs (`cl_…`) of the clients the session signed in to' },
  }),
  UserSessionList: list('UserSession'),
  GraphqlResponse: ERROR_SCHEMAS.GraphqlResponse!,
  OidcClient: withoutSecrets(oidcClient),
  OidcClientWithSecret: withSecret(oidcClient, 'clientSecret', 'The new client secret, shown this once'),
  CreatedOidcClient: {
    allOf: [oidcClient, object([], { clientSecret: { type: 'string', description: 'A confidential client’s secret, shown this once' } })],
  },
  OidcClientList: list('OidcClient'),
  SamlClient: object(
    ['id', 'clientId', 'applicationId', 'protocol', 'name', 'acsUrl', 'spEntityId', 'nameIdType', 'certificate', 'idpEntityId', 'ssoUrl', 'metadataUrl', ...STORED],
    {
      id: str,
      clientId: str,
      applicationId: str,
      protocol: { const: 'saml' },
      name: str,
      description: str,
      acsUrl: str,
      spEntityId: str,
      nameIdType: { enum: [...NAME_ID_TYPES] },
      certificate: { type: 'string', description: 'PEM of the X.509 certificate the IdP signs with' },
      signResponse: { type: 'boolean', description: 'The whole Response is signed too, besides the assertion' },
      idpEntityId: str,
      ssoUrl: str,
      metadataUrl: str,
      ...stored,
    },
  ),
  SamlClientList: list('SamlClient'),
  LoginRequest: object(LOGIN_REQUEST, loginRequest),
  ConsentRequest: object([...LOGIN_REQUEST, 'subject'], { ...loginRequest, subject: object(['userId', 'subjectId'], { userId: str, subjectId: { type: ['string', 'number'] } }) }),
  Redirect: object(['redirectTo'], { redirectTo: { type: 'string', description: 'Where the application sends the browser next' } }),
  Html: str,
  SamlMetadata: { type: 'string', description: 'SAML 2.0 metadata: an `md:EntityDescriptor` with the IdP’s signing certificate' },
  // Never a secret or a value that was set: field names, IDs and error codes only (NO_SECRETS holds it to that).
  AuditEvent: withoutSecrets(
    object(['id', 'sequence', 'time', 'tenantId', 'environmentId', 'actor', 'action', 'outcome', 'retainedUntil', 'previousDigest', 'digest'], {
      id: str,
      sequence: { type: 'integer', description: 'Position in the environment’s chain, from 1' },
      time: str,
      tenantId: str,
      environmentId: str,
      actor: object(['type'], { type: { enum: ['service_account', 'client', 'system'] }, id: str, clientId: str }),
      action: { type: 'string', description: '`<target type>.<what happened>`, e.g. `service_account.secret_reset`' },
      target: object(['type'], { type: str, id: str }),
      outcome: { enum: ['success', 'failure'] },
      errorCode: { type: 'string', description: 'The error code a failure was answered with' },
      sourceIp: str,
      userAgent: str,
      requestId: str,
      changedFields: { ...strings, description: 'The names of the fields the change set; never their values' },
      retainedUntil: { type: 'string', description: 'When the event expires: its time plus the retention then configured' },
      previousRetainedUntil: { type: 'string', description: 'When the event before it expires; absent on the first event of a chain' },
      previousDigest: { type: 'string', description: 'SHA-256 (hex) of the previous event of the environment; 64 zeros for the first' },
      digest: { type: 'string', description: 'SHA-256 (hex) of this event’s canonical JSON without `digest`' },
    }),
  ),
  AuditEventPage: page('AuditEvent'),
  AuditChainVerification: object(['valid', 'checked'], {
    valid: bool,
    checked: int,
    first: object(['sequence', 'id', 'time'], { sequence: int, id: str, time: str }),
    last: object(['sequence', 'id', 'time'], { sequence: int, id: str, time: str }),
    brokenAt: object(['sequence', 'reason'], { sequence: int, id: str, reason: str }),
    cursor: { type: 'string', description: 'Present when more events follow: pass it back as `?cursor=` to go on' },
  }),
};

export interface Success {
  readonly status: number;
  readonly description: string;
  /** A component of `RESPONSE_SCHEMAS`; none for an empty body. */
  readonly schema?: string;
  readonly contentType?: string;
  readonly headers?: readonly string[];
}

const ok = (schema: string, description = 'OK'): Success[] => [{ status: 200, description, schema }];
const created = (schema: string, description = 'Created'): Success[] => [{ status: 201, description, schema }];
const noContent: Success[] = [{ status: 204, description: 'Done; no body' }];

/** What each operation answers when it succeeds, by operation name. */
export const SUCCESS: Readonly<Record<string, readonly Success[]>> = {
  'get-openid-configuration': ok('OpenIdConfiguration'),
  'get-authorization-server-metadata': ok('OpenIdConfiguration'),
  'get-jwks': [{ status: 200, description: 'The JSON Web Key Set (RFC 7517 §5)', schema: 'Jwks', contentType: 'application/jwk-set+json' }],
  'get-openapi': ok('OpenApiDocument', 'This document'),
  token: ok('TokenResponse'),
  introspect: ok('Introspection'),
  revoke: [{ status: 200, description: 'Revoked, or nothing to revoke (RFC 7009 §2.2)' }],
  'push-authorization-request': created('PushedAuthorizationResponse', 'Pushed; the request_uri is good for one authorization request (RFC 9126 §2.2)'),
  userinfo: ok('UserInfo'),
  authorize: [{ status: 303, description: 'To the application’s login or consent page, or back to the client’s redirect URI', headers: ['location'] }],
  'end-session': [
    { status: 303, description: 'To the post-logout redirect URI', headers: ['location'] },
    {
      status: 200,
      description: 'Signed out, no redirect URI given; or, without a fresh ID token of the browser’s user, the “Sign out?” page that asks first',
      schema: 'Html',
      contentType: 'text/html',
    },
  ],
  'choose-identity-provider': [
    { status: 303, description: 'To the chosen upstream identity provider, or (it could not be reached) back to the client with an error', headers: ['location'] },
    { status: 200, description: 'The choice page: the email address, or the identity providers by name', schema: 'Html', contentType: 'text/html' },
  ],
  'complete-upstream-login': [
    { status: 303, description: 'Back to the authorization endpoint with a login verifier: on to the client with its code, or with an error', headers: ['location'] },
  ],
  'upstream-backchannel-logout': [{ status: 200, description: 'The logout token was accepted; the Latchkey sessions of its user and connection have ended' }],
  'get-saml-metadata': [{ status: 200, description: 'The IdP metadata (SAML 2.0 Metadata)', schema: 'SamlMetadata', contentType: SAML_METADATA_CONTENT_TYPE }],
  'get-saml-sp-metadata': [
    { status: 200, description: 'The SP metadata (SAML 2.0 Metadata) of a SAML connection', schema: 'SamlMetadata', contentType: SAML_METADATA_CONTENT_TYPE },
  ],
  'consume-saml-response': [
    { status: 303, description: 'Back to the authorization endpoint with a login verifier: on to the client with its answer, or with an error', headers: ['location'] },
  ],
  'single-sign-on': [
    {
      status: 303,
      description: 'To the authorization endpoint, which continues with the login on the application (or, with a session, straight back to the service provider)',
      headers: ['location'],
    },
  ],
  graphql: ok('GraphqlResponse', 'A GraphQL answer; errors raised while executing are in `errors[]`'),
  'create-service-account': created('ServiceAccountWithSecret', 'Created; `clientSecret` is shown this once'),
  'list-service-accounts': ok('ServiceAccountPage'),
  'get-service-account': ok('ServiceAccount'),
  'update-service-account': ok('ServiceAccount'),
  'delete-service-account': noContent,
  'reset-service-account-secret': ok('ServiceAccountWithSecret', 'The new secret, shown this once'),
  'get-service-account-permissions': ok('Grants'),
  'set-service-account-permissions': ok('Grants'),
  'mint-service-account-token': created('IssuedToken'),
  'list-personal-access-tokens': ok('PersonalAccessTokenPage'),
  'create-personal-access-token': created('PersonalAccessTokenWithToken', 'Created; `token` is shown this once'),
  'get-personal-access-token': ok('PersonalAccessToken'),
  'delete-personal-access-token': noContent,
  'list-service-account-keys': ok('ServiceAccountKeyList'),
  'create-service-account-key': created('CreatedServiceAccountKey', 'Created; a key Latchkey made comes with `keyFile`, its private key, shown this once'),
  'get-service-account-key': ok('ServiceAccountKey'),
  'delete-service-account-key': noContent,
  'list-resources': ok('ResourceList'),
  'create-resource': created('Resource'),
  'get-resource': ok('Resource'),
  'update-resource': ok('Resource'),
  'delete-resource': noContent,
  'get-environment': ok('Environment'),
  'update-environment': ok('Environment'),
  'list-applications': ok('ApplicationPage'),
  'create-application': created('Application'),
  'get-application': ok('Application'),
  'update-application': ok('Application'),
  'delete-application': noContent,
  'create-webhook-secret': ok('ApplicationWithWebhookSecret', 'The webhook secret, shown this once'),
  'delete-webhook-secret': noContent,
  'list-idp-connections': ok('IdpConnectionList'),
  'create-idp-connection': created('IdpConnection'),
  'get-idp-connection': ok('IdpConnection'),
  'update-idp-connection': ok('IdpConnection'),
  'delete-idp-connection': noContent,
  'generate-delegated-access-token': ok('DelegatedAccessToken', 'The end user’s access token and its claims'),
  'list-users': ok('UserPage'),
  'get-user': ok('UserWithProfiles'),
  'update-user': ok('User'),
  'delete-user': noContent,
  'list-user-sessions': ok('UserSessionList'),
  'delete-user-sessions': noContent,
  'delete-user-session': noContent,
  'list-clients': ok('OidcClientList'),
  'create-client': created('CreatedOidcClient', 'Created; a confidential client’s `clientSecret` is shown this once'),
  'get-client': ok('OidcClient'),
  'update-client': ok('OidcClient'),
  'delete-client': noContent,
  'rotate-client-secret': ok('OidcClientWithSecret', 'The client with its new secret, shown this once'),
  'list-saml-clients': ok('SamlClientList'),
  'create-saml-client': created('SamlClient'),
  'get-saml-client': ok('SamlClient'),
  'update-saml-client': ok('SamlClient'),
  'delete-saml-client': noContent,
  'rotate-saml-certificate': ok('SamlClient'),
  'get-login-request': ok('LoginRequest'),
  'accept-login-request': ok('Redirect', 'Where the browser goes next'),
  'reject-login-request': ok('Redirect', 'Where the browser goes next'),
  'get-consent-request': ok('ConsentRequest'),
  'accept-consent-request': ok('Redirect', 'Where the browser goes next'),
  'reject-consent-request': ok('Redirect', 'Where the browser goes next'),
  'list-audit-events': ok('AuditEventPage'),
  'verify-audit-chain': ok('AuditChainVerification', 'Whether the chain is whole, and where it breaks'),
};
