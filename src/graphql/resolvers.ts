import type { GraphQLResolveInfo } from 'graphql';
import { authenticateWithSecret } from '../domain/service-account-tokens';
import { generateDelegatedAccessToken, type DelegatedToken } from '../domain/delegated-tokens';
import type { GraphqlContext } from './context';

/**
 * Resolvers of the root fields of `src/graphql/schema.ts`, by field name. Each is a thin adapter,
 * like an HTTP handler: GraphQL has already checked the argument types; the resolver calls one
 * domain function and maps its result. A `LatchkeyError` it throws becomes `errors[].extensions.code`
 * through the one error mapping (see `src/graphql/execute.ts`).
 */

type Resolver<Args, Result> = (args: Args, context: GraphqlContext, info: GraphQLResolveInfo) => Result | Promise<Result>;

export interface AccessTokenResult {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly tokenType: string;
}

export interface AuthenticateServiceAccountInput {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface GenerateDelegatedAccessTokenInput {
  readonly applicationId: string;
  readonly subjectId: string;
  readonly uniqueProfileIdentifier?: string | null;
  readonly email?: string | null;
  readonly name?: string | null;
}

export const resolvers = {
  issuer: ((_args, context) => context.deps.tokens.issuer) satisfies Resolver<Record<string, never>, string>,

  /** The client credentials grant, as a mutation. Same domain function as `POST /oauth/v2/token`. */
  authenticateServiceAccount: (async ({ input }, context) => {
    const token = await context.throttleClientAuthentication(input.clientId, (beforeEvaluating) =>
      authenticateWithSecret(context.deps.tokens, input.clientId, input.clientSecret, {}, { beforeEvaluating }),
    );
    context.deps.tokenIssued?.();
    return { accessToken: token.accessToken, expiresInSeconds: token.expiresInSeconds, tokenType: token.tokenType };
  }) satisfies Resolver<{ input: AuthenticateServiceAccountInput }, AccessTokenResult>,

  /** The same domain function as `POST /v1/delegated-access-tokens`; the caller comes from the bearer token. */
  generateDelegatedAccessToken: (async ({ input }, context) => {
    if (!context.deps.delegated) throw new TypeError('this GraphQL endpoint was built without delegated-token dependencies');
    const caller = await context.caller();
    const { applicationId, subjectId, uniqueProfileIdentifier, email, name } = input;
    const token = await generateDelegatedAccessToken(context.deps.delegated(), caller, {
      applicationId,
      subjectId,
      ...(uniqueProfileIdentifier != null ? { uniqueProfileIdentifier } : {}),
      ...(email != null ? { email } : {}),
      ...(name != null ? { name } : {}),
    });
    context.deps.tokenIssued?.();
    return token;
  }) satisfies Resolver<{ input: GenerateDelegatedAccessTokenInput }, DelegatedToken>,
};
