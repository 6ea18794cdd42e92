import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { operations } from '../lib/routes';
import { ENV } from '../src/config';
import { apiGatewayListener, type ApiGatewayOptions } from './api-gateway';
import { createMtlsServer, ensureLocalTlsCredentials } from './https';
import { startLocalAws, type LocalAwsOptions } from './aws/server';
import { startEmbeddedDynamoDb } from './embedded-dynamodb';
import { lambdaInvokeListener, localFunctionArn } from './aws/lambda';
import { ensureDevAdmin, type DevAdmin } from './dev-bootstrap';
import { provisionLocalResources, type LocalResources } from './provision';
import { ensureCurrentSigningKey, ensureKeyWrappingKey } from './signing-keys';
import { LOCAL_ENDPOINTS_FILE, type LocalEndpoints } from './endpoints';
import { consoleFiles } from './console-files';
import { DEFAULT_CONSOLE_DIST } from '../console/build';

/**
 * Latchkey on one machine, in one process: the embedded DynamoDB, the KMS and Secrets Manager
 * stand-ins, and the HTTP API emulation serving every operation of the route table.
 *
 * Handlers reach the stand-ins only through the AWS SDK's standard endpoint variables, set here; the
 * handler code is exactly what runs in Lambda. Because everything shares one process environment,
 * one process runs one local Latchkey at a time (tests that start their own import the handlers afresh).
 */

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** Where table data, keys and secrets are kept across restarts. */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** Fixed ports for the embedded DynamoDB and the KMS/Secrets Manager stand-ins (default: free ports). */
  readonly dynamodbPort?: number;
  readonly awsPort?: number;
  readonly lambdaPort?: number;
  /**
   * Where the embedded DynamoDB and the KMS, Secrets Manager and Lambda stand-ins listen (default
   * 127.0.0.1, whatever `host` is): they hold the keys and secrets and ask for no credentials, so
   * they are reachable from other machines only when a developer says so (`npm start --
   * --unsafe-stand-ins-host`, for `sam local` containers).
   */
  readonly standInsHost?: string;
  readonly onRequest?: ApiGatewayOptions['onRequest'];
  /** The API Gateway emulation's integration timeout and throttles (tests shorten or step them). */
  readonly apiGateway?: Pick<ApiGatewayOptions, 'integrationTimeoutMs' | 'throttleOf' | 'now'>;
  /**
   * Also serve the API over HTTPS with client certificates (mutual TLS, RFC 8705) on this port
   * (0 picks a free one); off when undefined.
   */
  readonly mtlsPort?: number;
  /**
   * How tokens are signed (default `envelope`, as new deployments): `envelope` makes the key-wrapping
   * key and, on an empty table, the first signing keys; `kms` signs every token with the KMS key.
   */
  readonly signingMode?: 'envelope' | 'kms';
  /** Envelope mode: seconds a signer trusts the key ring it read (default 300; 0 reads it per token). */
  readonly signingKeyRefreshSeconds?: number;
  /** Envelope mode: seconds between rotations at the least (default: JWKS cache plus refresh). */
  readonly keyRotationMinIntervalSeconds?: number;
  /** The console's built bundle, served at `/console/` (default `console/dist`, built on first request when missing). */
  readonly consoleDir?: string;
  /**
   * RSA-2048 private keys made ahead of time, for the KMS stand-in to hand out instead of generating
   * them (signing keys of SAML clients, RS256 keys of envelope rotations, KMS-mode RSA keys): tests
   * set it to save the CPU of fresh primes. Default: fresh keys, as KMS makes them; `npm start` never sets it.
   */
  readonly pregeneratedRsaKeys?: LocalAwsOptions['pregeneratedRsaKeys'];
  /**
   * Where the functions (and the runtime's own setup) reach DynamoDB, KMS and Secrets Manager, given
   * the URLs of the embedded DynamoDB and of the KMS/Secrets Manager stand-ins. Default: the stand-ins
   * themselves. Tests answer an endpoint of their own in front of a stand-in, which they can take
   * down once the runtime has started, before any function has run: a dependency that is down when
   * a cold function first needs it.
   */
  readonly functionEndpoints?: (standIns: {
    readonly dynamodb: string;
    readonly aws: string;
  }) => Promise<{ readonly dynamodb?: string; readonly kms?: string; readonly secretsManager?: string }>;
}

export interface LocalRuntime {
  readonly url: string;
  /** `https://localhost:<port>` of the mutual-TLS listener, when `mtlsPort` was given. */
  readonly mtlsUrl?: string;
  /** PEM of the mutual-TLS listener's self-signed server certificate, for clients to trust. */
  readonly mtlsServerCertificate?: string;
  readonly resources: LocalResources;
  readonly signingMode: 'envelope' | 'kms';
  /** Envelope mode: ARN of the key-wrapping key in the KMS stand-in. */
  readonly keyWrappingKeyArn?: string;
  /** The development environment's administrator. */
  readonly devAdmin: DevAdmin;
  readonly endpoints: { readonly dynamodb: string; readonly aws: string; readonly lambda: string };
  /** ARNs of the operations without routes (e.g. `enrichment-webhook`), invokable through the local Lambda stand-in. */
  readonly functionArns: Readonly<Record<string, string>>;
  /** Requests the stand-ins have served so far, by `X-Amz-Target` (e.g. `TrentService.Sign`). */
  awsCalls(): Record<string, number>;
  close(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  const standInsHost = options.standInsHost ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });

  const dynamodb = await startEmbeddedDynamoDb({ path: join(options.dataDir, 'dynamodb'), port: options.dynamodbPort ?? 0, host: standInsHost });
  const awsOptions = { dataDir: options.dataDir, port: options.awsPort ?? 0, host: standInsHost, pregeneratedRsaKeys: options.pregeneratedRsaKeys };
  const aws = await startLocalAws(awsOptions).catch(async (error: unknown) => {
    await dynamodb.close();
    throw error;
  });

  // Lambda Invoke, for the route-less operations (an application's webhook may name one by ARN).
  const lambdaServer = createServer(lambdaInvokeListener({ operations, rootDir: REPOSITORY_ROOT }));
  const lambdaUrl = `http://127.0.0.1:${await listen(lambdaServer, options.lambdaPort ?? 0, standInsHost)}`;
  const functionArns = Object.fromEntries(operations.filter((op) => op.routes.length === 0).map((op) => [op.name, localFunctionArn(op.name)]));

  const dynamodbUrl = `http://127.0.0.1:${dynamodb.port}`;
  const awsUrl = `http://127.0.0.1:${aws.port}`;
  const calls: Record<string, number> = {};
  aws.server.on('request', (request: { headers: Record<string, string | string[] | undefined> }) => {
    const target = String(request.headers['x-amz-target'] ?? 'unknown');
    calls[target] = (calls[target] ?? 0) + 1;
  });
  const through = (await options.functionEndpoints?.({ dynamodb: dynamodbUrl, aws: awsUrl })) ?? {};
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: through.dynamodb ?? dynamodbUrl,
    AWS_ENDPOINT_URL_KMS: through.kms ?? awsUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: through.secretsManager ?? awsUrl,
    AWS_ENDPOINT_URL_LAMBDA: lambdaUrl,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const signingMode = options.signingMode ?? 'envelope';
  const resources = await provisionLocalResources(signingMode);

  const listener = apiGatewayListener({
    ...options.apiGateway,
    operations,
    rootDir: REPOSITORY_ROOT,
    onRequest: options.onRequest,
    staticFiles: consoleFiles(options.consoleDir ?? DEFAULT_CONSOLE_DIST),
  });
  const api = createServer(listener);
  const apiPort = await listen(api, options.port, host);
  const hostName = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
  const url = `http://${hostName}:${apiPort}`;
  const tls = options.mtlsPort === undefined ? undefined : await ensureLocalTlsCredentials(options.dataDir);
  const mtls = tls && createMtlsServer(listener, tls);
  const mtlsUrl = mtls && `https://${hostName}:${await listen(mtls, options.mtlsPort!, host)}`;

  Object.assign(process.env, {
    [ENV.issuer]: url,
    [ENV.tableName]: resources.tableName,
    [ENV.pepperSecretId]: resources.pepperSecretArn,
    [ENV.webhookSecretPrefix]: 'latchkey/local/webhook/',
    [ENV.canarySecretId]: 'latchkey/local/canary',
    [ENV.idpSecretPrefix]: 'latchkey/local/idp/',
    [ENV.unsafeAllowLocalTargets]: 'true',
    ...(mtlsUrl ? { [ENV.mtlsBaseUrl]: mtlsUrl } : {}),
  });
  const keyWrappingKeyArn = signingMode === 'envelope' ? await ensureKeyWrappingKey() : undefined;
  // SAML client keys are wrapped in both signing modes.
  const samlKeyWrappingKeyArn = await ensureKeyWrappingKey('alias/latchkey-local-saml-key-wrapping', 'Latchkey local SAML key-wrapping key');
  setEnv({
    [ENV.samlKeyWrappingKeyId]: samlKeyWrappingKeyArn,
    [ENV.signingMode]: signingMode,
    [ENV.signingKeyId]: signingMode === 'kms' ? resources.signingKeyArn : undefined,
    // KMS mode publishes a standby key beside the signing key, as a stack ready for a retirement would.
    [ENV.publishedKeyIds]: signingMode === 'kms' ? [resources.signingKeyArn, resources.standbySigningKeyArn].join(',') : undefined,
    [ENV.keyWrappingKeyId]: keyWrappingKeyArn,
    [ENV.signingKeyRefreshSeconds]: options.signingKeyRefreshSeconds?.toString(),
    [ENV.keyRotationMinIntervalSeconds]: options.keyRotationMinIntervalSeconds?.toString(),
  });
  if (signingMode === 'envelope') await ensureCurrentSigningKey();
  const endpoints: LocalEndpoints = { lambda: lambdaUrl, functionArns };
  writeFileSync(join(options.dataDir, LOCAL_ENDPOINTS_FILE), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });

  const devAdmin = await ensureDevAdmin(options.dataDir);

  return {
    url,
    ...(mtlsUrl && tls ? { mtlsUrl, mtlsServerCertificate: tls.cert } : {}),
    resources,
    signingMode,
    ...(keyWrappingKeyArn ? { keyWrappingKeyArn } : {}),
    devAdmin,
    endpoints: { dynamodb: dynamodbUrl, aws: awsUrl, lambda: lambdaUrl },
    functionArns,
    awsCalls: () => {
      const all = dynamodb.calls();
      for (const [target, count] of Object.entries(calls)) all[target] = (all[target] ?? 0) + count;
      return all;
    },
    async close() {
      await Promise.all([close(api), ...(mtls ? [close(mtls)] : []), dynamodb.close(), close(lambdaServer), aws.close()]);
    },
  };
}

/** Sets the variables given a value and removes those given none (left over from another mode). */
function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePort((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.closeAllConnections?.();
    server.close(() => resolveClose());
  });
}
