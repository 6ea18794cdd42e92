import * as z from 'zod/mini';
import { backchannelLogoutQuery, upstreamChoiceQuery } from '../http/federation-schemas';
import { createApplicationBody, updateApplicationBody } from '../http/application-schemas';
import { createOidcClientBody, createSamlClientBody, rotateSecretBody, updateOidcClientBody, updateSamlClientBody } from '../http/client-schemas';
import { acceptConsentBody, acceptLoginBody, rejectBody } from '../http/interaction-schemas';
import {
  createIdpConnectionBody,
  createPersonalAccessTokenBody,
  createServiceAccountBody,
  createServiceAccountKeyBody,
  delegatedAccessTokenBody,
  graphqlBody,
  pageQuery,
  resetServiceAccountSecretBody,
  updateEnvironmentBody,
  updateIdpConnectionBody,
  updateServiceAccountBody,
  updateUserBody,
} from '../http/management-schemas';
import { createResourceBody, updateResourceBody } from '../http/resource-schemas';
import { auditEventsQuery, verifyAuditChainQuery } from '../http/audit-schemas';
import { grants, tokenRequest } from '../http/schemas';

/**
 * Which request schema each operation validates its body or query with: the very zod schemas the
 * handlers use, so the document cannot promise what the API refuses. The OAuth form fields are
 * read by hand (RFC 6749 form encoding), so they are described here as JSON Schema.
 */

export type JsonSchema = Record<string, unknown>;

export interface RequestShape {
  /** A JSON request body; `optional` when the handler accepts an empty body. */
  readonly body?: { readonly schema: z.core.$ZodType; readonly optional?: boolean };
  /** Query parameters, one per property of a strict object schema. */
  readonly query?: z.core.$ZodType;
}

export const REQUEST_SHAPES: Readonly<Record<string, RequestShape>> = {
  'create-service-account': { body: { schema: createServiceAccountBody } },
  'list-service-accounts': { query: pageQuery },
  'update-service-account': { body: { schema: updateServiceAccountBody } },
  'reset-service-account-secret': { body: { schema: resetServiceAccountSecretBody, optional: true } },
  'set-service-account-permissions': { body: { schema: grants } },
  'mint-service-account-token': { body: { schema: tokenRequest, optional: true } },
  'list-personal-access-tokens': { query: pageQuery },
  'create-personal-access-token': { body: { schema: createPersonalAccessTokenBody, optional: true } },
  'create-service-account-key': { body: { schema: createServiceAccountKeyBody, optional: true } },
  'create-resource': { body: { schema: createResourceBody } },
  'update-resource': { body: { schema: updateResourceBody } },
  'update-environment': { body: { schema: updateEnvironmentBody } },
  'list-applications': { query: pageQuery },
  'create-application': { body: { schema: createApplicationBody } },
  'update-application': { body: { schema: updateApplicationBody } },
  'create-idp-connection': { body: { schema: createIdpConnectionBody } },
  'update-idp-connection': { body: { schema: updateIdpConnectionBody } },
  'generate-delegated-access-token': { body: { schema: delegatedAccessTokenBody } },
  'list-users': { query: pageQuery },
  'update-user': { body: { schema: updateUserBody } },
  graphql: { body: { schema: graphqlBody } },
  'create-client': { body: { schema: createOidcClientBody } },
  'update-client': { body: { schema: updateOidcClientBody } },
  'rotate-client-secret': { body: { schema: rotateSecretBody, optional: true } },
  'create-saml-client': { body: { schema: createSamlClientBody } },
  'update-saml-client': { body: { schema: updateSamlClientBody } },
  'accept-login-request': { body: { schema: acceptLoginBody } },
  'reject-login-request': { body: { schema: rejectBody } },
  'accept-consent-request': { body: { schema: acceptConsentBody } },
  'reject-consent-request': { body: { schema: rejectBody } },
  'list-audit-events': { query: auditEventsQuery },
  'verify-audit-chain': { query: verifyAuditChainQuery },
  'choose-identity-provider': { query: upstreamChoiceQuery },
  'upstream-backchannel-logout': { query: backchannelLogoutQuery },
};

/** JSON Schema (draft 2020-12, OpenAPI 3.1's dialect) of a request schema, as its client sends it. */
export function requestJsonSchema(schema: z.core.$ZodType): JsonSchema {
  // io 'input': what a client sends (before trimming and coercion); refinements cannot be expressed, and are left out.
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return jsonSchema;
}

const string = (description: string): JsonSchema => ({ type: 'string', description });

/** Client authentication in the form (RFC 6749 §2.3.1 `client_secret_post`, RFC 7523 `private_key_jwt`). */
const CLIENT_AUTHENTICATION_FIELDS = {
  client_id: string('The client ID, with client_secret_post, private_key_jwt or a public client'),
  client_secret: string('client_secret_post: the client secret (prefer HTTP Basic)'),
  client_assertion_type: { type: 'string', enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'] },
  client_assertion: string('private_key_jwt: a JWT signed with a key of the client (RFC 7523 §2.2)'),
};

/** The authorization request's parameters (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1) that the authorization endpoint and a pushed request share. */
const AUTHORIZATION_REQUEST_FIELDS = {
  redirect_uri: string('One of the client’s registered redirect URIs'),
  scope: string('Space-separated scopes, `openid` for an ID token'),
  state: string('Returned unchanged to the redirect URI'),
  nonce: string('Returned in the ID token'),
  code_challenge: string('PKCE challenge (RFC 7636)'),
  code_challenge_method: { type: 'string', enum: ['S256'] },
  prompt: string('none, login or consent'),
};

/** The form bodies of the OAuth endpoints (`application/x-www-form-urlencoded`). */
export const OAUTH_FORMS: Readonly<Record<string, JsonSchema>> = {
  token: {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: {
        type: 'string',
        enum: ['client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      },
      scope: string('Space-separated scopes; `urn:zitadel:iam:org:project:id:<resource>:aud` and `resource` name audiences'),
      resource: { oneOf: [string('Resource indicator (RFC 8707), repeatable'), { type: 'array', items: { type: 'string' } }] },
      code: string('authorization_code: the code'),
      redirect_uri: string('authorization_code: the redirect URI of the authorization request'),
      code_verifier: string('authorization_code: the PKCE verifier (S256)'),
      refresh_token: string('refresh_token: the refresh token'),
      assertion: string('jwt-bearer (RFC 7523 §2.1): a JWT signed with a key of the service account, `kid` its key ID'),
      subject_token: string('token exchange: the access token to exchange (RFC 8693 §2.1)'),
      subject_token_type: string('token exchange: urn:ietf:params:oauth:token-type:access_token or …:jwt'),
      actor_token: string('token exchange: optional, an access token of the calling account itself'),
      actor_token_type: string('token exchange: the type of actor_token, with it'),
      requested_token_type: string('token exchange: optional, urn:ietf:params:oauth:token-type:access_token'),
      audience: { oneOf: [string('token exchange: a resource key or audience URI, repeatable'), { type: 'array', items: { type: 'string' } }] },
      ...CLIENT_AUTHENTICATION_FIELDS,
    },
  },
  introspect: {
    type: 'object',
    required: ['token'],
    properties: { token: string('The token to introspect'), token_type_hint: string('access_token, refresh_token or personal_access_token'), ...CLIENT_AUTHENTICATION_FIELDS },
  },
  revoke: {
    type: 'object',
    required: ['token'],
    properties: { token: string('The token to revoke'), token_type_hint: string('access_token, refresh_token or personal_access_token'), ...CLIENT_AUTHENTICATION_FIELDS },
  },
  'push-authorization-request': {
    type: 'object',
    required: ['response_type', 'redirect_uri'],
    properties: {
      response_type: { type: 'string', enum: ['code'] },
      ...AUTHORIZATION_REQUEST_FIELDS,
      max_age: string('Seconds since the end user’s last login after which a new login is asked'),
      login_hint: string('Passed on to the application’s login page'),
      resource: string('Resource indicator (RFC 8707): one of the client’s resources'),
      ...CLIENT_AUTHENTICATION_FIELDS,
    },
  },
  userinfo: { type: 'object', properties: { access_token: string('The access token, when not sent as a bearer token (RFC 6750 §2.2)') } },
  authorize: {
    type: 'object',
    properties: {
      response_type: { type: 'string', enum: ['code'] },
      client_id: string('The client ID'),
      ...AUTHORIZATION_REQUEST_FIELDS,
      login_hint: string('Passed on to the application’s login page; without one, an email address whose domain picks the upstream identity provider'),
      idp_hint: string('Without loginUrl: the ID of the application’s upstream IDP connection to log in with'),
      request_uri: string('The request_uri that POST /oauth/v2/par answered (RFC 9126 §4); the pushed parameters replace all others but client_id'),
    },
  },
  'consume-saml-response': {
    type: 'object',
    required: ['SAMLResponse', 'RelayState'],
    properties: {
      SAMLResponse: string('The upstream IdP’s Response, base64 (SAML bindings §3.5.4)'),
      RelayState: string('As Latchkey sent it with the AuthnRequest'),
    },
  },
  'upstream-backchannel-logout': {
    type: 'object',
    required: ['logout_token'],
    properties: { logout_token: string('The upstream provider’s logout token (OpenID Connect Back-Channel Logout 1.0 §2.4)') },
  },
  'end-session': {
    type: 'object',
    properties: {
      id_token_hint: string('An ID token Latchkey issued to the client'),
      client_id: string('The client ID'),
      post_logout_redirect_uri: string('One of the client’s registered post-logout redirect URIs'),
      state: string('Returned unchanged to the post-logout redirect URI'),
      logout_confirmation: string('Sent only by Latchkey’s own “Sign out?” page: the confirmation bound to the browser that was asked'),
    },
  },
};
