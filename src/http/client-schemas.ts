import { z } from 'zod';
import { AUTH_METHODS, CLIENT_TYPES, NAME_ID_TYPES, PKCE_MODES, PROMPT_VALUES } from '../domain/clients/model';
import { description, name, seconds } from './schemas';

/**
 * Request bodies of the client registry (CL-*): shapes and types only. What the values must be (URI
 * rules, existing resources, method-specific settings) is checked by the domain, which reports every
 * problem under the field it concerns.
 */

const uri = z.string().max(2000, 'must be at most 2000 characters');
const uris = z.array(uri).max(50, 'at most 50 URIs');
const jwk = z.object({ kty: z.string().max(10) }).passthrough();

const oidcSettings = {
  description: description.nullable().optional(),
  redirectUris: uris.optional(),
  clientType: z.enum(CLIENT_TYPES).optional(),
  thirdParty: z.boolean().optional(),
  authMethod: z.enum(AUTH_METHODS).optional(),
  jwks: z.object({ keys: z.array(jwk).max(20, 'at most 20 keys') }).strict().nullable().optional(),
  jwksUri: uri.nullable().optional(),
  tlsClientCertificate: z.string().max(16_000).nullable().optional(),
  tokenBinding: z.boolean().optional(),
  pkce: z.enum(PKCE_MODES).optional(),
  resources: z.array(z.object({ resource: z.string().max(63), accessTokenTtlSeconds: seconds.optional() }).strict()).max(50).optional(),
  idTokenClaims: z.array(z.string().max(100)).max(50).optional(),
  promptValues: z.array(z.enum(PROMPT_VALUES)).max(3).optional(),
  accessTokenTtlSeconds: seconds.optional(),
  refreshTokenTtlSeconds: seconds.optional(),
  maxRefreshSeconds: seconds.optional(),
  consentRedirectUris: uris.optional(),
  accessValiditySeconds: seconds.optional(),
  scopes: z.array(z.string().max(200)).max(100).optional(),
};

export const createOidcClientBody = z.object({ name, ...oidcSettings }).strict();

export const updateOidcClientBody = z
  .object({ name: name.optional(), ...oidcSettings })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'give at least one setting to change');

const samlSettings = {
  description: description.nullable().optional(),
  acsUrl: uri,
  spEntityId: z.string().max(1024, 'must be at most 1024 characters'),
  nameIdType: z.enum(NAME_ID_TYPES).optional(),
};

export const createSamlClientBody = z.object({ name, ...samlSettings }).strict();

export const updateSamlClientBody = z
  .object({ name: name.optional(), ...samlSettings, acsUrl: samlSettings.acsUrl.optional(), spEntityId: samlSettings.spEntityId.optional() })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, acsUrl, spEntityId, nameIdType');

export const rotateSecretBody = z.object({ gracePeriodSeconds: seconds.optional() }).strict();
