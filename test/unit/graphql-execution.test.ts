import { buildSchema, getIntrospectionQuery } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import { bootstrapEnvironment } from '../../src/domain/bootstrap';
import type { Caller } from '../../src/domain/caller';
import { InvalidToken } from '../../src/domain/errors';
import type { TokenSigner } from '../../src/domain/ports';
import { createGraphqlContext, type GraphqlDeps } from '../../src/graphql/context';
import { runGraphql, type GraphqlRequest } from '../../src/graphql/execute';
import { MAX_DEPTH, MAX_FIELDS, MAX_LIST_NESTING, MAX_TOKENS } from '../../src/graphql/limits';
import { resolvers } from '../../src/graphql/resolvers';
import { rootFieldsWithoutResolver, schema } from '../../src/graphql/schema';
import { MemoryStore, plainHasher } from '../support/memory-store';
import { MemoryTokenStore } from '../support/memory-token-store';
import { standInClaims, standInSigner } from '../support/stand-in-jwt';

const ISSUER = 'https://id.example.test';
const MUTATION = `mutation Authenticate($clientId: String!, $clientSecret: String!) {
  authenticateServiceAccount(input: {clientId: $clientId, clientSecret: $clientSecret}) { accessToken expiresInSeconds tokenType }
}`;

describe('GraphQL execution', () => {
  let admin: { clientId: string; clientSecret: string; id: string };
  let signed: number;
  let issued: number;
  let signer: TokenSigner;
  let deps: GraphqlDeps;

  beforeEach(async () => {
    const store = new MemoryStore();
    signed = 0;
    issued = 0;
    signer = {
      sign: async (claims, options) => {
        signed += 1;
        return standInSigner.sign(claims, options);
      },
    };
    const tokens = {
      store,
      hasher: plainHasher,
      signer: { sign: (c, o) => signer.sign(c, o) } as TokenSigner,
      opaqueTokens: new MemoryTokenStore(store),
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      issuer: ISSUER,
    };
    deps = {
      tokens,
      tokenIssued: () => {
        issued += 1;
      },
    };
    const bootstrapped = await bootstrapEnvironment(tokens, { tenantName: 'Acme', environmentName: 'prod' });
    admin = { clientId: bootstrapped.admin.clientId, clientSecret: bootstrapped.admin.clientSecret, id: bootstrapped.admin.id };
  });

  const run = (request: GraphqlRequest, authenticate: () => Promise<Caller> = () => Promise.reject(new InvalidToken())) =>
    runGraphql(request, createGraphqlContext(deps, undefined, authenticate));

  it('answers authenticateServiceAccount with a token for the account', async () => {
    const answer = await run({ query: MUTATION, variables: { clientId: admin.clientId, clientSecret: admin.clientSecret } });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const result = (answer.body.data as any).authenticateServiceAccount;
    expect(result).toMatchObject({ expiresInSeconds: 3600, tokenType: 'Bearer' });
    expect(standInClaims(result.accessToken)).toMatchObject({ sub: admin.id, subjectType: 'ServiceAccount', iss: ISSUER });
    expect(issued).toBe(1);
  });

  it('accepts the input as literals too', async () => {
    const query = `mutation { authenticateServiceAccount(input: {clientId: "${admin.clientId}", clientSecret: "${admin.clientSecret}"}) { tokenType } }`;
    expect((await run({ query })).body).toEqual({ data: { authenticateServiceAccount: { tokenType: 'Bearer' } } });
  });

  it('refuses bad credentials with INVALID_CLIENT_ID_SECRET, the same for a wrong secret and an unknown client', async () => {
    for (const variables of [
      { clientId: admin.clientId, clientSecret: 'lks_wrong' },
      { clientId: 'not-a-client-id', clientSecret: admin.clientSecret },
      // The right account and secret, but another (well-formed) environment.
      { clientId: `${admin.id}@env_${'a'.repeat(26)}`, clientSecret: admin.clientSecret },
    ]) {
      const answer = await run({ query: MUTATION, variables });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        data: { authenticateServiceAccount: null },
        errors: [
          {
            message: 'client authentication failed',
            locations: [{ line: 2, column: 3 }],
            path: ['authenticateServiceAccount'],
            extensions: { code: 'INVALID_CLIENT_ID_SECRET' },
          },
        ],
      });
    }
    expect(signed).toBe(0);
  });

  it('answers GRAPHQL_PARSE_FAILED for a syntax error', async () => {
    const answer = await run({ query: 'mutation { authenticateServiceAccount(input: {' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors![0]).toMatchObject({ message: expect.stringMatching(/^Syntax Error/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  });

  it('answers GRAPHQL_VALIDATION_FAILED for fields or input the schema does not have', async () => {
    const unknownField = await run({ query: `mutation { authenticateServiceAccount(input: {clientId: "a", clientSecret: "b"}) { refreshToken } }` });
    expect(unknownField.body.errors![0]).toMatchObject({
      message: expect.stringContaining('Cannot query field "refreshToken"'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const missingSecret = await run({ query: `mutation { authenticateServiceAccount(input: {clientId: "a"}) { tokenType } }` });
    expect(missingSecret.body.errors![0]).toMatchObject({
      message: expect.stringContaining('clientSecret'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('answers BAD_USER_INPUT for variables of the wrong type, an unknown operation name and a subscription', async () => {
    const wrongType = await run({ query: MUTATION, variables: { clientId: 5, clientSecret: 'x' } });
    expect(wrongType.body).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })] });
    expect(wrongType.body.errors![0]!.message).toContain('$clientId');
    const missing = await run({ query: MUTATION, variables: { clientId: 'a' } });
    expect(missing.body.errors![0]).toMatchObject({ message: expect.stringContaining('$clientSecret'), extensions: { code: 'BAD_USER_INPUT' } });
    // graphql-js would quote the whole value, secret included; the answer names only the problem.
    const extraField = await run({
      query: 'mutation ($input: AuthenticateServiceAccountInput!) { authenticateServiceAccount(input: $input) { tokenType } }',
      variables: { input: { clientId: 'a', clientSecret: 'lks_do-not-echo', tenantId: 'ten_x' } },
    });
    expect(extraField.body.errors).toEqual([
      expect.objectContaining({
        message: 'Variable "$input" got an invalid value; Field "tenantId" is not defined by type "AuthenticateServiceAccountInput". Did you mean "clientId"?',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    const nested = await run({ query: MUTATION, variables: { clientId: 'a', clientSecret: ['lks_do-not-echo'] } });
    expect(JSON.stringify(nested.body)).not.toContain('do-not-echo');
    expect(nested.body.errors![0]!.message).toBe('Variable "$clientSecret" got an invalid value; String cannot represent a non string value');
    const subscription = await run({ query: 'subscription { issuer }' });
    expect(subscription.status).toBe(200);
    expect(subscription.body.errors![0]).toMatchObject({ message: 'Schema is not configured to execute subscription operation.', extensions: { code: 'BAD_USER_INPUT' } });
    const unknownOperation = await run({ query: MUTATION, operationName: 'Other', variables: { clientId: 'a', clientSecret: 'b' } });
    expect(unknownOperation.body.errors![0]).toMatchObject({ message: 'Unknown operation named "Other".', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('runs one mutation field per request: aliases cannot try several secrets at once', async () => {
    const query = `mutation {
      a: authenticateServiceAccount(input: {clientId: "${admin.clientId}", clientSecret: "guess-1"}) { tokenType }
      b: authenticateServiceAccount(input: {clientId: "${admin.clientId}", clientSecret: "${admin.clientSecret}"}) { tokenType }
    }`;
    const answer = await run({ query });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        message: 'the operation selects 2 mutation fields (a, b); send one mutation field per request',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
    expect(signed).toBe(0);
  });

  it('keeps introspection on: the standard introspection query passes every limit', async () => {
    const answer = await run({ query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true }) });
    expect(answer.body.errors).toBeUndefined();
    const types = (answer.body.data as any).__schema.types.map((type: { name: string }) => type.name);
    expect(types).toEqual(expect.arrayContaining(['Mutation', 'AuthenticateServiceAccountInput', 'AccessToken']));
  });

  it(`refuses more than ${MAX_LIST_NESTING} nested lists, ${MAX_DEPTH} levels or ${MAX_FIELDS} fields`, async () => {
    const nestedLists = `{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }`;
    expect((await run({ query: nestedLists })).body.errors![0]).toMatchObject({
      message: `the operation nests 5 list fields inside each other; at most ${MAX_LIST_NESTING} are allowed`,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });

    const deep = `query Deep { __type(name: "Query") { ${'ofType { '.repeat(MAX_DEPTH)}name${' }'.repeat(MAX_DEPTH)} } }`;
    expect((await run({ query: deep })).body.errors![0]!.message).toBe(`operation "Deep" nests fields ${MAX_DEPTH + 2} levels deep; at most ${MAX_DEPTH} are allowed`);

    // Fragments are expanded: two fragments of 160 fields each are 320 fields.
    const aliases = (prefix: string) => Array.from({ length: 160 }, (_, i) => `${prefix}${i}: __typename`).join(' ');
    const viaFragments = `query { ...F ... on Query { ...G } } fragment F on Query { ${aliases('f')} } fragment G on Query { ${aliases('g')} }`;
    expect((await run({ query: viaFragments })).body.errors![0]!.message).toBe(
      `the operation selects more than ${MAX_FIELDS} fields (fragments expanded); at most ${MAX_FIELDS} are allowed`,
    );
  });

  it(`refuses a query of more than ${MAX_TOKENS} tokens before parsing it all`, async () => {
    const query = `{ ${'a '.repeat(MAX_TOKENS)} }`;
    expect(query.length).toBeLessThan(10_000);
    const answer = await run({ query });
    expect(answer.body.errors![0]).toMatchObject({
      message: expect.stringContaining(`${MAX_TOKENS} tokens. Parsing aborted`),
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    });
  });

  it('hides an unexpected failure behind INTERNAL_SERVER_ERROR and HTTP 500', async () => {
    signer = { sign: async () => Promise.reject(new Error('KMS exploded: arn:aws:kms:secret-detail')) };
    const answer = await run({ query: MUTATION, variables: { clientId: admin.clientId, clientSecret: admin.clientSecret } });
    expect(answer.status).toBe(500);
    expect(answer.body.errors).toEqual([expect.objectContaining({ message: 'an unexpected error occurred', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    expect(JSON.stringify(answer.body)).not.toContain('KMS exploded');
  });

  it('answers the issuer query without touching the Authorization header', async () => {
    let authentications = 0;
    const answer = await run({ query: '{ issuer }' }, async () => {
      authentications += 1;
      throw new InvalidToken();
    });
    expect(answer.body).toEqual({ data: { issuer: ISSUER } });
    expect(authentications).toBe(0);
  });

  it('verifies the bearer token lazily and once per request', async () => {
    let authentications = 0;
    const caller: Caller = { tenantId: 'ten_x', environmentId: 'env_x', accountId: 'sa_x', permissions: {} };
    const context = createGraphqlContext(deps, 'Bearer abc', async () => {
      authentications += 1;
      return caller;
    });
    expect(context.authorization).toBe('Bearer abc');
    expect(authentications).toBe(0);
    expect(await context.caller()).toBe(caller);
    expect(await context.caller()).toBe(caller);
    expect(authentications).toBe(1);
  });

  it('has a resolver for every root field and no resolver without a field', () => {
    expect(rootFieldsWithoutResolver(schema, resolvers)).toEqual([]);
    const fields = Object.keys(resolvers)
      .map((name) => `${name}: String`)
      .join(', ');
    const extended = buildSchema(`type Query { ${fields} } type Mutation { revokeEverything: String }`);
    expect(rootFieldsWithoutResolver(extended, { ...resolvers, extra: () => 1 })).toEqual(['field revokeEverything has no resolver', 'resolver extra matches no root field']);
  });
});
