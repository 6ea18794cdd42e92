import * as z from 'zod/mini';
import { AUTH_METHODS, CLIENT_TYPES, ID_TOKEN_ALGORITHMS, NAME_ID_TYPES, PKCE_MODES, PROMPT_VALUES } from '../domain/clients/model';
import { description, name, seconds } from './schemas';

/**
 * Request bodies of the client registry: shapes and types only. What the values must be (URI
 * rules, existing resources, method-specific settings) is checked by the domain, which reports every
 * problem under the field it concerns.
 */

const uri = z.string().check(z.maxLength(2000, 'must be at most 2000 characters'));
const uris = z.array(uri).check(z.maxLength(50, 'at most 50 URIs'));
const jwk = z.looseObject({ kty: z.string().check(z.maxLength(10)) });

const oidcSettings = {
  description: z.optional(z.nullable(description)),
  redirectUris: z.optional(uris),
  clientType: z.optional(z.enum(CLIENT_TYPES)),
  thirdParty: z.optional(z.boolean()),
  authMethod: z.optional(z.enum(AUTH_METHODS)),
  jwks: z.optional(z.nullable(z.strictObject({ keys: z.array(jwk).check(z.maxLength(20, 'at most 20 keys')) }))),
  jwksUri: z.optional(z.nullable(uri)),
  tlsClientCertificate: z.optional(z.nullable(z.string().check(z.maxLength(16_000)))),
  tokenBinding: z.optional(z.boolean()),
  pkce: z.optional(z.enum(PKCE_MODES)),
  resources: z.optional(z.array(z.strictObject({ resource: z.string().check(z.maxLength(63)), accessTokenTtlSeconds: z.optional(seconds) })).check(z.maxLength(50))),
  idTokenClaims: z.optional(z.array(z.string().check(z.maxLength(100))).check(z.maxLength(50))),
  promptValues: z.optional(z.array(z.enum(PROMPT_VALUES)).check(z.maxLength(3))),
  accessTokenTtlSeconds: z.optional(seconds),
  refreshTokenTtlSeconds: z.optional(seconds),
  maxRefreshSeconds: z.optional(seconds),
  consentRedirectUris: z.optional(uris),
  accessValiditySeconds: z.optional(seconds),
  scopes: z.optional(z.array(z.string().check(z.maxLength(200))).check(z.maxLength(100))),
  postLogoutRedirectUris: z.optional(uris),
  idTokenSignedResponseAlg: z.optional(z.enum(ID_TOKEN_ALGORITHMS)),
  tokenExchange: z.optional(z.boolean()),
  requireDpop: z.optional(z.boolean()),
  backchannelLogoutUri: z.optional(z.nullable(uri)),
  backchannelLogoutSessionRequired: z.optional(z.boolean()),
  requirePar: z.optional(z.boolean()),
};

export const createOidcClientBody = z.strictObject({ name, ...oidcSettings });

export const updateOidcClientBody = z
  .strictObject({ name: z.optional(name), ...oidcSettings })
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one setting to change'));

const samlSettings = {
  description: z.optional(z.nullable(description)),
  acsUrl: uri,
  spEntityId: z.string().check(z.maxLength(1024, 'must be at most 1024 characters')),
  nameIdType: z.optional(z.enum(NAME_ID_TYPES)),
  spSigningCertificate: z.optional(z.nullable(z.string().check(z.maxLength(16384, 'must be at most 16384 characters')))),
  requireSignedRequests: z.optional(z.boolean()),
  signResponse: z.optional(z.boolean()),
};

export const createSamlClientBody = z.strictObject({ name, ...samlSettings });

export const updateSamlClientBody = z
  .strictObject({ name: z.optional(name), ...samlSettings, acsUrl: z.optional(samlSettings.acsUrl), spEntityId: z.optional(samlSettings.spEntityId) })
  .check(
    z.refine(
      (changes) => Object.keys(changes).length > 0,
      'give at least one of name, description, acsUrl, spEntityId, nameIdType, spSigningCertificate, requireSignedRequests, signResponse',
    ),
  );

export const rotateSecretBody = z.strictObject({ gracePeriodSeconds: z.optional(seconds) });
