import type { GraphQLResolveInfo } from 'graphql';
import { authenticateWithSecret } from '../domain/service-account-tokens';
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

export const resolvers = {
  issuer: ((_args, context) => context.deps.tokens.issuer) satisfies Resolver<Record<string, never>, string>,

  /** SA-9: the client credentials grant, as a mutation. Same domain function as `POST /oauth/v2/token`. */
  authenticateServiceAccount: (async ({ input }, context) => {
    const token = await authenticateWithSecret(context.deps.tokens, input.clientId, input.clientSecret, {});
    context.deps.tokenIssued?.();
    return { accessToken: token.accessToken, expiresInSeconds: token.expiresInSeconds, tokenType: token.tokenType };
  }) satisfies Resolver<{ input: AuthenticateServiceAccountInput }, AccessTokenResult>,
};
