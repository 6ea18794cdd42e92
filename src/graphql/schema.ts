import { buildSchema, type GraphQLSchema } from 'graphql';

/**
 * The GraphQL compatibility surface, for clients written against a GraphQL token API.
 *
 * The schema is written in SDL because it is a published contract: this text is what clients see
 * through introspection. Root fields are resolved by `src/graphql/resolvers.ts` (graphql-js calls a
 * root value's functions with `(args, context, info)`). Adding an operation = a field here, its
 * input and payload types, and a resolver of the same name; `rootFieldsWithoutResolver` keeps the
 * two in step (checked at cold start and by the unit tests).
 *
 * Payload fields are nullable on the mutation so that a refused call answers
 * `{data: {field: null}, errors: [{extensions: {code}}]}`, as clients of such APIs expect.
 */
export const typeDefs = /* GraphQL */ `
  """
  Latchkey's GraphQL API: token operations for clients written against a GraphQL token service.
  The OAuth token endpoint (/oauth/v2/token) issues the same tokens.
  """
  schema {
    query: Query
    mutation: Mutation
  }

  type Query {
    "The issuer of Latchkey tokens: their iss claim and the base URL of the discovery document."
    issuer: String!
  }

  type Mutation {
    """
    Exchanges a service account's client ID and client secret for a signed access token (a JWT)
    carrying the account's permissions. Bad credentials fail with the code INVALID_CLIENT_ID_SECRET.
    """
    authenticateServiceAccount(input: AuthenticateServiceAccountInput!): AccessToken

    """
    Generates an end-user access token for a user a third party authenticated (delegated
    authentication). Needs Authorization: Bearer <service-account token> holding
    GENERATE_DELEGATED_ACCESS_TOKEN; tenant and environment are that token's. The user and profile are
    created on first use and found again afterwards.
    """
    generateDelegatedAccessToken(input: GenerateDelegatedAccessTokenInput!): DelegatedAccessToken
  }

  "Any JSON value: here, the claims of a token."
  scalar JSON

  input GenerateDelegatedAccessTokenInput {
    "The application the token is for (its ID)."
    applicationId: ID!
    "The end user's ID at the third party: a UUID, a text or a number."
    subjectId: ID!
    "Selects (or creates) one of the user's profiles; without it, the default profile."
    uniqueProfileIdentifier: ID
    "The end user's email address, when known."
    email: String
    "The end user's name; defaults to the part of the email before @, else the user ID."
    name: String
  }

  "An end-user access token and its claims."
  type DelegatedAccessToken {
    "The signed JWT to send as Authorization: Bearer <token>."
    accessToken: String!
    "Always Bearer."
    tokenType: String!
    "Seconds from issuance until the token expires."
    expiresInSeconds: Int!
    "The token's claims (sub, profileId, sessionId, extensions...)."
    payload: JSON!
  }

  input AuthenticateServiceAccountInput {
    "The service account's client ID, as shown when the account was created."
    clientId: String!
    "The service account's client secret."
    clientSecret: String!
  }

  "A bearer access token and how long it is valid."
  type AccessToken {
    "The signed JWT to send as Authorization: Bearer <token>."
    accessToken: String!
    "Seconds from issuance until the token expires."
    expiresInSeconds: Int!
    "Always Bearer."
    tokenType: String!
  }
`;

export const schema: GraphQLSchema = buildSchema(typeDefs);

/** Root fields (of Query and Mutation) that have no resolver, and resolvers that match no field. */
export function rootFieldsWithoutResolver(target: GraphQLSchema, resolvers: Readonly<Record<string, unknown>>): string[] {
  const fields = [target.getQueryType(), target.getMutationType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
  return [
    ...fields.filter((field) => typeof resolvers[field] !== 'function').map((field) => `field ${field} has no resolver`),
    ...Object.keys(resolvers)
      .filter((name) => !fields.includes(name))
      .map((name) => `resolver ${name} matches no root field`),
  ];
}
