import { join } from 'node:path';
import { operations } from '../lib/routes';
import { REPOSITORY_ROOT, startLocalRuntime } from './runtime';

/**
 * `npm start`: Latchkey on this machine. Configuration, all optional:
 * - `PORT` (default 4000) and `HOST` (default 127.0.0.1) of the API;
 * - `LATCHKEY_DATA_DIR` (default `.latchkey/` in the repository): table data, keys and secrets;
 * - `LATCHKEY_DYNAMODB_PORT`, `LATCHKEY_AWS_PORT` (default: free ports): fixed ports for the embedded
 *   DynamoDB and the KMS/Secrets Manager stand-ins, for tools that must know them (`sam local`);
 * - `LATCHKEY_MTLS_PORT` (default: off): also serve the API over HTTPS with TLS client certificates
 *   (mutual TLS, for `self_signed_tls_client_auth` clients), on this port.
 */
function portFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a port number, not "${process.env[name]}"`);
    process.exit(1);
  }
  return value;
}
const port = portFrom('PORT', 4000);
const dataDir = process.env.LATCHKEY_DATA_DIR ?? join(REPOSITORY_ROOT, '.latchkey');

const runtime = await startLocalRuntime({
  dataDir,
  port,
  dynamodbPort: portFrom('LATCHKEY_DYNAMODB_PORT', 0),
  awsPort: portFrom('LATCHKEY_AWS_PORT', 0),
  ...(process.env.LATCHKEY_MTLS_PORT ? { mtlsPort: portFrom('LATCHKEY_MTLS_PORT', 0) } : {}),
  host: process.env.HOST ?? '127.0.0.1',
  onRequest: ({ method, path, operation, status, ms }) => console.log(`${status} ${method} ${path} → ${operation} (${ms} ms)`),
});

const routeLines = operations
  .flatMap((operation) => operation.routes.map((route) => `  ${route.method.padEnd(6)} ${route.path.padEnd(44)} ${operation.handler}`))
  .join('\n');

console.log(`
Latchkey is running locally at ${runtime.url}

  Embedded DynamoDB   ${runtime.endpoints.dynamodb}  (table ${runtime.resources.tableName})
  KMS stand-in        ${runtime.endpoints.aws}  (signing key ${runtime.resources.signingKeyArn})
  Secrets Manager     ${runtime.endpoints.aws}
  Data folder         ${dataDir}${runtime.mtlsUrl ? `
  Mutual TLS          ${runtime.mtlsUrl}  (server certificate in ${join(dataDir, 'tls')})` : ''}

Routes:
${routeLines}

Development administrator (tenant ${runtime.devAdmin.tenantId}, environment ${runtime.devAdmin.environmentId}):
  client ID      ${runtime.devAdmin.clientId}
  client secret  ${runtime.devAdmin.clientSecret}

Get a token:
  curl -s ${runtime.url}/oauth/v2/token \\
    -u '${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}' \\
    -d grant_type=client_credentials
`);

const stop = () => {
  void runtime.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
