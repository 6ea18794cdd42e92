import { execute, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult } from 'graphql';
import { graphqlCode, toLatchkeyError } from '../http/error-mapping';
import { LatchkeyError } from '../domain/errors';
import { logger } from '../adapters/observability';
import type { GraphqlContext } from './context';
import { limitRules, MAX_TOKENS } from './limits';
import { resolvers } from './resolvers';
import { rootFieldsWithoutResolver, schema } from './schema';

/**
 * Runs one GraphQL request: parse → validate (standard rules plus Latchkey's limits) → execute →
 * errors in the shape GraphQL clients read, `errors[].extensions.code`:
 * - a syntax error: `GRAPHQL_PARSE_FAILED`; a query the schema or the limits refuse: `GRAPHQL_VALIDATION_FAILED`;
 * - variables that do not fit their types, an unknown operation name, a subscription: `BAD_USER_INPUT`;
 * - a `LatchkeyError` from a resolver: its code through the one mapping (`graphqlCode`), e.g.
 *   `invalid_client` → `INVALID_CLIENT_ID_SECRET`, with its safe message; the exact reason is logged;
 * - anything else is a bug: `INTERNAL_SERVER_ERROR` with a generic message, the details in the log.
 * A bug or a 500 `LatchkeyError` makes the answer HTTP 500, so that alarms on server errors see it;
 * an unavailable dependency makes it 503 and a throttled client authentication 429, each with the
 * error's `Retry-After`, so that clients and their HTTP libraries back off; a customer's upstream
 * that failed (an enrichment webhook) makes it 502, as over REST, so that it fires no alarm on
 * Latchkey's own server errors.
 * Every other answer is HTTP 200, as GraphQL over HTTP asks for `application/json` answers.
 */

export interface GraphqlRequest {
  readonly query: string;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
  readonly operationName?: string | null | undefined;
}

export interface GraphqlAnswer {
  readonly status: 200 | 429 | 500 | 502 | 503;
  readonly body: { data?: unknown; errors?: FormattedError[] };
  /** `Retry-After` of a 429 or 503 answer. */
  readonly headers?: Readonly<Record<string, string>>;
}

interface FormattedError {
  readonly message: string;
  readonly locations?: readonly { line: number; column: number }[];
  readonly path?: readonly (string | number)[];
  readonly extensions: { readonly code: string };
}

// A schema field without a resolver would answer null forever: fail the cold start instead.
const mismatches = rootFieldsWithoutResolver(schema, resolvers);
if (mismatches.length > 0) throw new TypeError(`GraphQL schema and resolvers disagree: ${mismatches.join('; ')}`);

const rules = [...specifiedRules, ...limitRules];

export async function runGraphql(request: GraphqlRequest, context: GraphqlContext): Promise<GraphqlAnswer> {
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return refused([error], 'GRAPHQL_PARSE_FAILED');
  }
  const invalid = validate(schema, document, rules);
  if (invalid.length > 0) return refused(invalid, 'GRAPHQL_VALIDATION_FAILED');

  const result = (await execute({
    schema,
    document,
    rootValue: resolvers,
    contextValue: context,
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
  })) as ExecutionResult;
  if (!result.errors?.length) return { status: 200, body: { data: result.data } };

  // Without `data`, execution never started: the variables or the operation name were wrong.
  if (!('data' in result)) return refused(result.errors, 'BAD_USER_INPUT');
  const errors = result.errors.map(fromExecution);
  // A bug or an unavailable dependency (KMS, the table) answers 5xx, so alarms on server errors see
  // it; a bug outweighs an outage, which outweighs a failed upstream.
  const known = result.errors.flatMap((error) => (error.originalError ? [toLatchkeyError(error.originalError)] : []));
  const worst =
    known.find((error) => error.status === 500) ??
    known.find((error) => error.status === 503) ??
    known.find((error) => error.status >= 500) ??
    known.find((error) => error.status === 429);
  if (!worst) return { status: 200, body: { data: result.data, errors } };
  const status = worst.status === 503 || worst.status === 502 || worst.status === 429 ? worst.status : 500;
  const retryAfter = worst.headers['retry-after'];
  return { status, body: { data: result.data, errors }, ...(status !== 500 && retryAfter ? { headers: { 'retry-after': retryAfter } } : {}) };
}

function refused(errors: readonly GraphQLError[], code: string): GraphqlAnswer {
  logger.info('graphql request refused', { code, count: errors.length });
  return { status: 200, body: { errors: errors.map((error) => format(error, withoutValue(error), code)) } };
}

/**
 * graphql-js quotes a variable's whole value when it does not fit its type
 * (`Variable "$input" got invalid value { clientId: ..., clientSecret: "lks_..." }; Field "x" is not
 * defined...`), and so do scalar refusals. A value may hold a client secret, and clients often log
 * GraphQL errors: keep the variable, the path and the reason, drop the value.
 */
function withoutValue(error: GraphQLError): string {
  const variable = /^Variable "\$([^"]+)" got invalid value /.exec(error.message);
  const reason = error.originalError?.message;
  if (!variable || reason === undefined || !error.message.endsWith(`; ${reason}`)) return error.message;
  const prefix = error.message.slice(0, error.message.length - reason.length - 2);
  const at = / at "([^"]*)"$/.exec(prefix);
  // Scalar refusals quote the value too: "String cannot represent a non string value: [...]".
  const safeReason = reason.replace(/^([^:]* cannot represent [^:]*): .*$/s, '$1');
  return `Variable "$${variable[1]}" got an invalid value${at ? ` at "${at[1]}"` : ''}; ${safeReason}`;
}

function fromExecution(error: GraphQLError): FormattedError {
  const original = error.originalError;
  // graphql-js's own refusals of the request (a subscription, which this schema has none of) carry no cause.
  if (!original) return format(error, error.message, 'BAD_USER_INPUT');
  const known = toLatchkeyError(original);
  if (original instanceof LatchkeyError) {
    logger.info('graphql operation refused', {
      path: error.path?.join('.'),
      code: known.code,
      ...(known.internalDetail ? { reason: known.internalDetail } : {}),
    });
  } else {
    logger.error('graphql operation failed', { path: error.path?.join('.'), error: original });
  }
  return format(error, known.message, graphqlCode(known.code));
}

function format(error: GraphQLError, message: string, code: string): FormattedError {
  return {
    message,
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: { code },
  };
}
