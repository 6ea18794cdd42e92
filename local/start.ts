import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { operations } from '../lib/routes';
import { DataFolderInUse, lockDataFolder } from './data-folder-lock';
import { REPOSITORY_ROOT, startLocalRuntime } from './runtime';
import { SAM_LOCAL, samEnvFile, standInPorts } from './sam/env-file';
import { ensureConsoleBuilt } from '../console/build';

/**
 * `npm start`: Latchkey on this machine. Configuration, all optional:
 * - `PORT` (default 4000) and `HOST` (default 127.0.0.1) of the API;
 * - `LATCHKEY_DATA_DIR` (default `.latchkey/` in the repository): table data, keys and secrets;
 * - `LATCHKEY_DYNAMODB_PORT`, `LATCHKEY_AWS_PORT`, `LATCHKEY_LAMBDA_PORT` (default: free ports, with
 *   `--sam` 4001 to 4003): fixed ports for the embedded DynamoDB and the KMS/Secrets Manager and
 *   Lambda stand-ins;
 * - `LATCHKEY_MTLS_PORT` (default: off): also serve the API over HTTPS with TLS client certificates
 *   (mutual TLS, for `self_signed_tls_client_auth` clients), on this port.
 *
 * Options (`npm start -- --help`) expose the stand-ins to `sam local` containers; see docs/local.md.
 */
const USAGE = `Usage: npm start [-- options]

  --unsafe-stand-ins-host <address>  Let other machines (sam local containers) reach the embedded
                                     DynamoDB and the KMS, Secrets Manager and Lambda stand-ins:
                                     0.0.0.0 or ::. Unsafe: they hold the signing keys and secrets
                                     and ask for no credentials. Default 127.0.0.1, whatever HOST is.
  --sam                              For sam local: the stand-ins on the fixed ports ${SAM_LOCAL.ports.dynamodb}, ${SAM_LOCAL.ports.aws} and
                                     ${SAM_LOCAL.ports.lambda} (or LATCHKEY_DYNAMODB_PORT, LATCHKEY_AWS_PORT,
                                     LATCHKEY_LAMBDA_PORT), and sam-env.json written for them.
                                     Needs --unsafe-stand-ins-host.
  --container-host <name>            How containers name this machine (default ${SAM_LOCAL.containerHost}).
  --help                             This text.`;

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

let args: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    options: {
      'unsafe-stand-ins-host': { type: 'string' },
      sam: { type: 'boolean', default: false },
      'container-host': { type: 'string', default: SAM_LOCAL.containerHost },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
}
try {
  args = parseOptions();
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const standInsHost = args['unsafe-stand-ins-host'] ?? '127.0.0.1';
// The handlers of this process reach the stand-ins at 127.0.0.1: an address that does not cover it would cut them off.
if (!['127.0.0.1', '0.0.0.0', '::'].includes(standInsHost)) fail(`--unsafe-stand-ins-host must be 0.0.0.0 or ::, not "${standInsHost}"`);
if (args.sam && standInsHost === '127.0.0.1') fail("--sam needs --unsafe-stand-ins-host 0.0.0.0: containers cannot reach this machine's loopback");

function portFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) fail(`${name} must be a port number, not "${process.env[name]}"`);
  return value;
}
const port = portFrom('PORT', 4000);
const dataDir = process.env.LATCHKEY_DATA_DIR ?? join(REPOSITORY_ROOT, '.latchkey');
const ports = standInPorts(args.sam, portFrom);

// The SDK's reminder that it will want Node 22 concerns this machine, not the Lambda runtime the
// handlers deploy to; it would bury the banner and the one-line errors below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let unlock: () => void;
try {
  unlock = lockDataFolder(dataDir);
} catch (error) {
  if (error instanceof DataFolderInUse) fail(error.message);
  throw error;
}
process.once('exit', () => unlock());

const runtime = await startLocalRuntime({
  dataDir,
  port,
  dynamodbPort: ports.dynamodb,
  awsPort: ports.aws,
  lambdaPort: ports.lambda,
  standInsHost,
  ...(process.env.LATCHKEY_MTLS_PORT ? { mtlsPort: portFrom('LATCHKEY_MTLS_PORT', 0) } : {}),
  host: process.env.HOST ?? '127.0.0.1',
  onRequest: ({ method, path, operation, status, ms }) => console.log(`${status} ${method} ${path} → ${operation} (${ms} ms)`),
}).catch((error: NodeJS.ErrnoException & { port?: number }) => {
  if (error.code === 'EADDRINUSE') fail(`port ${error.port ?? ''} is already in use (another npm start, or another program); free it or choose another port (PORT=...)`);
  if (error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') fail(`cannot listen on ${error.port ?? 'the port'}: ${error.code}; choose another port or HOST`);
  throw error;
});

// Built now rather than on the first page view, so a build problem shows at start.
await ensureConsoleBuilt();

let samEnvLine = '';
if (args.sam) {
  const file = join(REPOSITORY_ROOT, 'sam-env.json');
  writeFileSync(file, `${JSON.stringify(samEnvFile(runtime, args['container-host']), null, 2)}\n`);
  samEnvLine = `\n  sam local env file  ${file}  (run npm run sam-local, then see docs/local.md)`;
}
const exposed = standInsHost === '127.0.0.1' ? '' : `\n  UNSAFE: the stand-ins below listen on ${standInsHost}, without credentials.`;

const routeLines = operations.flatMap((operation) => operation.routes.map((route) => `  ${route.method.padEnd(6)} ${route.path.padEnd(44)} ${operation.handler}`)).join('\n');

console.log(`
Latchkey is running locally at ${runtime.url}
  Admin console       ${runtime.url}/console/  (sign in with the administrator below)
${exposed}
  Embedded DynamoDB   ${runtime.endpoints.dynamodb}  (table ${runtime.resources.tableName})
  KMS stand-in        ${runtime.endpoints.aws}  (signing key ${runtime.resources.signingKeyArn})
  Secrets Manager     ${runtime.endpoints.aws}
  Lambda stand-in     ${runtime.endpoints.lambda}
  Data folder         ${dataDir}${
    runtime.mtlsUrl
      ? `
  Mutual TLS          ${runtime.mtlsUrl}  (server certificate in ${join(dataDir, 'tls')})`
      : ''
  }${samEnvLine}

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
