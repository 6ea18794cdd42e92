import * as z from 'zod/mini';
import { MAX_QUERY_CHARS } from '../graphql/limits';
import { dateTime, description, name, seconds, wholeNumber } from './schemas';
import { webhookBody } from './application-schemas';

/**
 * Request schemas of the service-account, PAT, environment, IDP-connection, delegated-token, list and
 * GraphQL operations, kept apart from their handlers so the OpenAPI document can describe them
 * without loading a handler (and its cold-start configuration).
 */

/** `?limit=&cursor=` of every paged list. */
export const pageQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(wholeNumber('must be a whole number'))),
  cursor: z.optional(z.string().check(z.maxLength(400))),
});

export const createServiceAccountBody = z.strictObject({
  name,
  description: z.optional(description),
  userName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  accessTokenType: z.optional(z.enum(['jwt', 'opaque'])),
  requireDpop: z.optional(z.boolean()),
});

export const updateServiceAccountBody = z
  .strictObject({
    name: z.optional(name),
    description: z.optional(description),
    disabled: z.optional(z.boolean()),
    requireDpop: z.optional(z.boolean()),
  })
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one of name, description, disabled, requireDpop'));

export const updateUserBody = z.strictObject({ disabled: z.boolean() });

export const resetServiceAccountSecretBody = z.strictObject({ gracePeriodSeconds: z.optional(seconds), revokeTokens: z.optional(z.boolean()) });

export const createPersonalAccessTokenBody = z.strictObject({
  name: z.optional(name),
  expiresAt: z.optional(dateTime('must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z')),
});

export const createServiceAccountKeyBody = z.strictObject({
  publicKeyJwk: z.optional(z.record(z.string(), z.unknown())),
  expiresAt: z.optional(dateTime('must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z')),
});

export const updateEnvironmentBody = z
  .strictObject({
    name: z.optional(name),
    serviceAccountTokenTtlSeconds: z.optional(seconds),
    personalAccessTokenMaxLifetimeSeconds: z.optional(seconds),
    serviceAccountTokenWebhook: z.optional(z.nullable(webhookBody)),
  })
  .check(
    z.refine(
      (changes) => Object.keys(changes).length > 0,
      'give at least one of name, serviceAccountTokenTtlSeconds, personalAccessTokenMaxLifetimeSeconds, serviceAccountTokenWebhook',
    ),
  );

const identifier = z.union([z.string().check(z.maxLength(256)), z.number()]);
export const delegatedAccessTokenBody = z.strictObject({
  applicationId: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(64)),
  subjectId: identifier,
  uniqueProfileIdentifier: z.optional(identifier),
  email: z.optional(z.string().check(z.maxLength(320))),
  name: z.optional(z.string().check(z.maxLength(200))),
});

/** The fields of an upstream connection (the domain checks which type takes which). */
const upstreamConnectionFields = {
  emailDomains: z.optional(z.array(z.string().check(z.maxLength(253))).check(z.maxLength(50))),
  linkByVerifiedEmail: z.optional(z.boolean()),
  issuer: z.optional(z.string().check(z.maxLength(500))),
  clientId: z.optional(z.string().check(z.maxLength(255))),
  clientSecret: z.optional(z.string().check(z.maxLength(1000))),
  privateKeyJwk: z.optional(z.record(z.string(), z.unknown())),
  scopes: z.optional(z.string().check(z.maxLength(1000))),
  claimMapping: z.optional(
    z.strictObject({
      email: z.optional(z.string().check(z.maxLength(100))),
      email_verified: z.optional(z.string().check(z.maxLength(100))),
      name: z.optional(z.string().check(z.maxLength(100))),
    }),
  ),
  idpMetadataXml: z.optional(z.string().check(z.maxLength(64 * 1024))),
  idpMetadataUrl: z.optional(z.string().check(z.maxLength(2000))),
  nameIdFormat: z.optional(z.string().check(z.maxLength(200))),
  attributeMapping: z.optional(
    z.nullable(
      z.strictObject({
        subject: z.optional(z.string().check(z.maxLength(256))),
        email: z.optional(z.string().check(z.maxLength(256))),
        email_verified: z.optional(z.string().check(z.maxLength(256))),
        name: z.optional(z.string().check(z.maxLength(256))),
      }),
    ),
  ),
};

export const createIdpConnectionBody = z.strictObject({
  type: z.enum(['delegated', 'oidc', 'saml'], 'must be "delegated", "oidc" or "saml"'),
  name: z.optional(name),
  enabled: z.optional(z.boolean()),
  applicationIds: z.optional(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(100))),
  ...upstreamConnectionFields,
});

export const updateIdpConnectionBody = z
  .strictObject({
    name: z.optional(name),
    enabled: z.optional(z.boolean()),
    applicationIds: z.optional(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(100))),
    ...upstreamConnectionFields,
  })
  .check(z.refine((changes) => Object.keys(changes).length > 0, 'give at least one field to change'));

/** A GraphQL-over-HTTP POST body. `extensions` is allowed by that spec and ignored; batches are not supported. */
export const graphqlBody = z.strictObject({
  query: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)),
  variables: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  operationName: z.optional(z.nullable(z.string().check(z.maxLength(200, 'must be at most 200 characters')))),
  extensions: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
});
