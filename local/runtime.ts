import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dynalite from 'dynalite';
import { operations } from '../lib/routes';
import { ENV } from '../src/config';
import { apiGatewayListener, type ApiGatewayOptions } from './api-gateway';
import { startLocalAws } from './aws/server';
import { ensureDevAdmin, type DevAdmin } from './dev-bootstrap';
import { provisionLocalResources, type LocalResources } from './provision';

/**
 * Latchkey on one machine, in one process: the embedded DynamoDB, the KMS and Secrets Manager
 * stand-ins, and the HTTP API emulation serving every operation of the route table.
 *
 * Handlers reach the stand-ins only through the AWS SDK's standard endpoint variables, set here; the
 * handler code is exactly what runs in Lambda. Because everything shares one process environment,
 * one process runs one local Latchkey (tests run each file in its own worker).
 */

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalRuntimeOptions {
  /** Where table data, keys and secrets are kept across restarts. */
  readonly dataDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  readonly onRequest?: ApiGatewayOptions['onRequest'];
}

export interface LocalRuntime {
  readonly url: string;
  readonly resources: LocalResources;
  /** The development environment's administrator (PL-3). */
  readonly devAdmin: DevAdmin;
  readonly endpoints: { readonly dynamodb: string; readonly aws: string };
  close(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });

  const dynamodbServer = dynalite({ path: join(options.dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamodbPort = await listen(dynamodbServer, 0, '127.0.0.1');
  const aws = await startLocalAws({ dataDir: options.dataDir, port: 0 });

  const dynamodbUrl = `http://127.0.0.1:${dynamodbPort}`;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
    AWS_ENDPOINT_URL_KMS: aws.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const resources = await provisionLocalResources();

  const api = createServer(apiGatewayListener({ operations, rootDir: REPOSITORY_ROOT, onRequest: options.onRequest }));
  const apiPort = await listen(api, options.port, host);
  const url = `http://${host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host}:${apiPort}`;

  Object.assign(process.env, {
    [ENV.issuer]: url,
    [ENV.tableName]: resources.tableName,
    [ENV.signingKeyId]: resources.signingKeyArn,
    [ENV.publishedKeyIds]: resources.signingKeyArn,
    [ENV.pepperSecretId]: resources.pepperSecretArn,
    [ENV.webhookSecretPrefix]: 'latchkey/local/webhook/',
  });

  const devAdmin = await ensureDevAdmin(options.dataDir);

  return {
    url,
    resources,
    devAdmin,
    endpoints: { dynamodb: dynamodbUrl, aws: aws.url },
    async close() {
      await Promise.all([close(api), close(dynamodbServer), aws.close()]);
    },
  };
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
