// One HTTP server hosting the local KMS and Secrets Manager stand-ins. Both speak JSON 1.1
// on `POST /`, so a single listener dispatching on the X-Amz-Target prefix serves both;
// point the SDK at it with AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL_SECRETS_MANAGER or `endpoint`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAwsJsonListener } from './json-protocol';
import { createKmsService, type KmsServiceOptions } from './kms';
import { createSecretsManagerService } from './secrets-manager';

export interface LocalAwsOptions {
  /** Folder holding kms.json and secrets.json; created if missing. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  region?: string;
  /**
   * RSA-2048 private keys made ahead of time, for the KMS stand-in to hand out instead of generating
   * them, so that tests save the CPU of fresh primes. Default: fresh keys, as KMS makes them.
   */
  pregeneratedRsaKeys?: KmsServiceOptions['pregeneratedRsaKeys'];
}

export interface LocalAws {
  url: string;
  port: number;
  /** The HTTP server, e.g. to count requests by `X-Amz-Target`. */
  server: Server;
  close(): Promise<void>;
}

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const { dataDir, port = 0, host = '127.0.0.1', region = 'us-east-1', pregeneratedRsaKeys } = options;
  // State is loaded synchronously here, so a corrupt data file fails startup instead of a request.
  const server = createServer(
    createAwsJsonListener({
      TrentService: createKmsService({ dataDir, region, pregeneratedRsaKeys }),
      secretsmanager: createSecretsManagerService({ dataDir, region }),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep sockets alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
