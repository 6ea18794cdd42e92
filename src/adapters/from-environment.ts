import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV, issuer, publishedKeyIds, requireEnv } from '../config';
import { awsClientConfig, lambdaInvokeClientConfig } from './aws-client-config';
import { DynamoDbStore, documentClient } from './dynamodb/store';
import { DynamoDbTokenStore } from './dynamodb/token-store';
import { KmsKeySet } from './kms-key-set';
import { DynamoDbApplicationStore } from './dynamodb/application-store';
import { SecretsManagerWebhookVault } from './webhook-secrets';
import { DynamoDbIdpConnectionStore } from './dynamodb/idp-connection-store';
import { DynamoDbEndUserStore } from './dynamodb/end-user-store';
import { WebhookCaller } from './webhook-caller';
import { PepperHasher } from './pepper-hasher';
import { DynamoDbClientStore } from './dynamodb/client-store';
import { KmsSamlCertificateIssuer } from './kms-saml-certificates';
import { DynamoDbFailedAuthenticationCounters } from './dynamodb/throttle-store';
import { DynamoDbAuthorizationStore } from './dynamodb/authorization-store';

/**
 * The adapters a function needs, built once per container from its environment (set by the CDK
 * stack or the local runtime from the route table). AWS SDK clients take their region, credentials
 * and endpoint from the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL_KMS`, ...), which is
 * how the same code talks to AWS, LocalStack or Latchkey's local stand-ins.
 */

const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

export const kmsKeySet = once(() => new KmsKeySet(new KMSClient(awsClientConfig), process.env[ENV.signingKeyId], publishedKeyIds()));

/** One document client for every store of the table. */
const tableClient = once(() => documentClient(new DynamoDBClient(awsClientConfig)));

export const store = once(() => new DynamoDbStore(tableClient(), requireEnv(ENV.tableName)));

export const pepperHasher = once(() => new PepperHasher(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.pepperSecretId)));

export const applicationStore = once(() => new DynamoDbApplicationStore(tableClient(), requireEnv(ENV.tableName)));

/** Personal access tokens, opaque access tokens and JWT revocations (MU-1, MU-4, MU-6). */
export const tokenStore = once(() => new DynamoDbTokenStore(tableClient(), requireEnv(ENV.tableName)));

export const idpConnectionStore = once(() => new DynamoDbIdpConnectionStore(tableClient(), requireEnv(ENV.tableName)));

export const endUserStore = once(() => new DynamoDbEndUserStore(tableClient(), requireEnv(ENV.tableName)));

/** Calls enrichment webhooks: HTTPS targets with fetch, Lambda targets with a client made on first use. */
export const webhookCaller = once(() => new WebhookCaller(once(() => new LambdaClient(lambdaInvokeClientConfig))));

export const webhookVault = once(() => new SecretsManagerWebhookVault(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.webhookSecretPrefix)));

/** OIDC and SAML clients, and the used `jti`s of client assertions (CL-*). */
export const clientStore = once(() => new DynamoDbClientStore(tableClient(), requireEnv(ENV.tableName)));

/** SAML signing certificates for the KMS RSA key (CL-9). */
export const samlCertificates = once(() => new KmsSamlCertificateIssuer(new KMSClient(awsClientConfig), requireEnv(ENV.samlSigningKeyId)));

/** Authorization requests, codes, refresh tokens, sessions and consent of interactive login. */
export const authorizationStore = once(() => new DynamoDbAuthorizationStore(tableClient(), requireEnv(ENV.tableName)));

export const clock = (): number => Date.now();

export { issuer };

/** Failed client authentication counters, per client ID and source address (abuse limits). */
export const failedAuthenticationCounters = once(() => new DynamoDbFailedAuthenticationCounters(tableClient(), requireEnv(ENV.tableName)));
