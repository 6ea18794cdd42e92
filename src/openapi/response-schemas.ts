import { SAML_METADATA_CONTENT_TYPE } from '../domain/saml/metadata';
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
const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [schema, { type: 'null' }] });
const strings: JsonSchema = { type: 'array', items: str };
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const object = (required: readonly string[], properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', required, properties });
const page = (item: string): JsonSchema =>
  object(['items'], { items: { type: 'array', items: ref(item) }, nextCursor: nullable(str) });
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
    data: nullable({ type: 'object' }),
    errors: { type: 'array', items: object(['message'], { message: str, extensions: object(['code'], { code: str }) }) },
  }),
  GatewayMessage: { ...object(['message'], { message: str }), description: 'An answer of API Gateway itself' },
};

const grant = object(['resource', 'permissions'], { resource: str, permissions: strings });

export const RESPONSE_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  OpenIdConfiguration: object(['issuer', 'jwks_uri', 'token_endpoint'], { issuer: str, jwks_uri: str, token_endpoint: str }),
  Jwks: object(['keys'], { keys: { type: 'array', items: object(['kty', 'kid'], { kty: str, kid: str, alg: str, use: str }) } }),
  OpenApiDocument: object(['openapi', 'paths'], { openapi: str, paths: { type: 'object' } }),
  TokenResponse: object(['access_token', 'token_type', 'expires_in'], { access_token: str, token_type: str, expires_in: int, scope: str, refresh_token: str, id_token: str }),
  Introspection: object(['active'], { active: bool }),
  UserInfo: object(['sub'], { sub: str }),
  ServiceAccount: { type: 'object' },
  CreatedServiceAccount: { type: 'object' },
  ServiceAccountPage: page('ServiceAccount'),
  ServiceAccountSecret: { type: 'object' },
  Grants: object(['grants'], { grants: { type: 'array', items: grant } }),
  MintedToken: { type: 'object' },
  PersonalAccessToken: { type: 'object' },
  CreatedPersonalAccessToken: { type: 'object' },
  PersonalAccessTokenPage: page('PersonalAccessToken'),
  Resource: { type: 'object' },
  ResourceList: list('Resource'),
  Environment: { type: 'object' },
  Application: { type: 'object' },
  ApplicationPage: page('Application'),
  WebhookSecret: { type: 'object' },
  IdpConnection: { type: 'object' },
  IdpConnectionList: list('IdpConnection'),
  DelegatedAccessToken: { type: 'object' },
  User: { type: 'object' },
  UserPage: page('User'),
  GraphqlResponse: ERROR_SCHEMAS.GraphqlResponse!,
  OidcClient: { type: 'object' },
  OidcClientList: list('OidcClient'),
  SamlClient: { type: 'object' },
  SamlClientList: list('SamlClient'),
  LoginRequest: { type: 'object' },
  ConsentRequest: { type: 'object' },
  Redirect: object(['redirectTo'], { redirectTo: str }),
  Html: str,
  SamlMetadata: str,
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
  userinfo: ok('UserInfo'),
  authorize: [{ status: 303, description: 'To the application’s login or consent page, or back to the client’s redirect URI', headers: ['location'] }],
  'end-session': [
    { status: 303, description: 'To the post-logout redirect URI', headers: ['location'] },
    { status: 200, description: 'Signed out, no redirect URI given', schema: 'Html', contentType: 'text/html' },
  ],
  'get-saml-metadata': [{ status: 200, description: 'The IdP metadata (SAML 2.0 Metadata)', schema: 'SamlMetadata', contentType: SAML_METADATA_CONTENT_TYPE }],
  graphql: ok('GraphqlResponse', 'A GraphQL answer; errors raised while executing are in `errors[]`'),
  'create-service-account': created('CreatedServiceAccount', 'Created; `clientSecret` is shown this once'),
  'list-service-accounts': ok('ServiceAccountPage'),
  'get-service-account': ok('ServiceAccount'),
  'update-service-account': ok('ServiceAccount'),
  'delete-service-account': noContent,
  'reset-service-account-secret': ok('ServiceAccountSecret', 'The new secret, shown this once'),
  'get-service-account-permissions': ok('Grants'),
  'set-service-account-permissions': ok('Grants'),
  'mint-service-account-token': created('MintedToken'),
  'list-personal-access-tokens': ok('PersonalAccessTokenPage'),
  'create-personal-access-token': created('CreatedPersonalAccessToken', 'Created; `token` is shown this once'),
  'get-personal-access-token': ok('PersonalAccessToken'),
  'delete-personal-access-token': noContent,
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
  'create-webhook-secret': ok('WebhookSecret', 'The webhook secret, shown this once'),
  'delete-webhook-secret': noContent,
  'list-idp-connections': ok('IdpConnectionList'),
  'create-idp-connection': created('IdpConnection'),
  'get-idp-connection': ok('IdpConnection'),
  'update-idp-connection': ok('IdpConnection'),
  'delete-idp-connection': noContent,
  'generate-delegated-access-token': ok('DelegatedAccessToken'),
  'list-users': ok('UserPage'),
  'get-user': ok('User'),
  'list-clients': ok('OidcClientList'),
  'create-client': created('OidcClient', 'Created; a confidential client’s `clientSecret` is shown this once'),
  'get-client': ok('OidcClient'),
  'update-client': ok('OidcClient'),
  'delete-client': noContent,
  'rotate-client-secret': ok('OidcClient', 'The client with its new secret, shown this once'),
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
};
