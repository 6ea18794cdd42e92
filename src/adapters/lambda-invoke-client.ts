/**
 * The two parts of the Lambda client that invoking an enrichment webhook needs, in a module of their
 * own so that it is loaded with `import()` by the first Lambda webhook target only (most functions
 * never invoke one), and the bundler keeps only these two of the client's exports.
 */
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
