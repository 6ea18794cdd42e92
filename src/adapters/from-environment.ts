import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV, issuer, publishedKeyIds, requireEnv, secondsFromEnv, signingMode } from '../config';
import { awsClientConfig, lambdaInvokeClientConfig } from './aws-client-config';
import { DynamoDbStore, documentClient, hotPathClient } from './dynamodb/store';
import { DynamoDbTokenStore } from './dynamodb/token-store';
import { JWKS_CACHE_SECONDS as GUARD_JWKS_CACHE_SECONDS } from '../guard/guard';
import { KmsKeySet } from './kms-key-set';
import { EnvelopeKeySet } from './envelope-key-set';
import { KmsKeyPairFactory } from './kms-key-pairs';
import { DynamoDbSigningKeyStore } from './dynamodb/signing-key-store';
import type { PublicKeySet, TokenSigner } from '../domain/ports';
import { newId } from '../domain/ids';
import { MAX_TOKEN_TTL_SECONDS } from '../domain/environments';
import type { KmsRetirementDeps, RotationDeps } from '../domain/signing-keys';
import { DynamoDbApplicationStore } from './dynamodb/application-store';
import { SecretsManagerWebhookVault } from './webhook-secrets';
import { SecretsManagerCanaryCredentials } from './canary-credentials';
import { PolicyUpstreamHttp } from './upstream-http';
import { OutboundSamlMetadataFetcher } from './saml-metadata-fetcher';
import { DynamoDbIdpConnectionStore } from './dynamodb/idp-connection-store';
import { DynamoDbDelegationReads } from './dynamodb/delegation-reads';
import { DynamoDbEndUserStore } from './dynamodb/end-user-store';
import { WebhookCaller } from './webhook-caller';
import { PepperHasher } from './pepper-hasher';
import { DynamoDbClientStore } from './dynamodb/client-store';
import { KmsSamlKeyVault } from './kms-saml-keys';
import { DynamoDbFailedAuthenticationCounters } from './dynamodb/throttle-store';
import { DynamoDbAuthorizationStore } from './dynamodb/authorization-store';
import { DynamoDbAuditLog } from './dynamodb/audit-log';
import { DynamoDbServiceAccountKeyStore } from './dynamodb/service-account-key-store';

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

/**
 * How long (seconds) a signer trusts the key ring it last read, and a verifier of Latchkey's own
 * tokens the public keys; see `EnvelopeKeySet`. Thirty seconds: with the JWKS's `max-age` below, a
 * retired key stops signing and stops being accepted by Latchkey within a minute, at the cost of one
 * Query per container every 30 s.
 */
export const signingKeyRefreshSeconds = (): number => secondsFromEnv(ENV.signingKeyRefreshSeconds, 30);
/** The JWKS's `Cache-Control: max-age`: how long an HTTP cache may serve a key set that has changed since. */
export const JWKS_MAX_AGE_SECONDS = 30;
/**
 * The least time between rotations unless configured: ten minutes, and always longer than the guard's
 * JWKS cache plus the JWKS's `max-age` and the signers' refresh, so a key published as `next` is in
 * every guard's cached JWKS before it signs.
 */
const keyRotationMinIntervalSeconds = (): number =>
  secondsFromEnv(ENV.keyRotationMinIntervalSeconds, Math.max(600, GUARD_JWKS_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS + signingKeyRefreshSeconds()));

/**
 * The token signing keys of this deployment's signing mode: the signer of the functions with
 * `keys: sign` and the public keys every function with `keys: verify` reads.
 */
export const signingKeys = once((): TokenSigner & PublicKeySet =>
  signingMode() === 'kms'
    ? new KmsKeySet(new KMSClient(awsClientConfig), process.env[ENV.signingKeyId], publishedKeyIds(), process.env[ENV.rsaSigningKeyId] || undefined, {
        // The table is named on first read: every function with keys is granted it (lib/constructs/grant-access.ts).
        store: { readRetirements: () => signingKeyStore().readRetirements() },
        refreshMs: signingKeyRefreshSeconds() * 1000,
      })
    : new EnvelopeKeySet(signingKeyStore(), new KMSClient(awsClientConfig), () => requireEnv(ENV.keyWrappingKeyId), { refreshMs: signingKeyRefreshSeconds() * 1000 }),
);

export const signingKeyStore = once(() => new DynamoDbSigningKeyStore(tableClient(), requireEnv(ENV.tableName)));

/** What the envelope-mode key rotation needs; its intervals follow from the token lifetimes and caches. */
export const signingKeyRotation = once(
  (): RotationDeps => ({
    store: signingKeyStore(),
    keyPairs: new KmsKeyPairFactory(new KMSClient(awsClientConfig), requireEnv(ENV.keyWrappingKeyId)),
    now: () => Date.now(),
    newId: () => newId('key'),
    policy: {
      minIntervalSeconds: keyRotationMinIntervalSeconds(),
      // A key that stopped signing may still be used by a stale signer for the refresh interval,
      // and what it signed lives for the longest token lifetime.
      retentionSeconds: MAX_TOKEN_TTL_SECONDS + signingKeyRefreshSeconds(),
    },
  }),
);

/** KMS mode: retiring the key that signs now, in favour of the next published key. */
export const kmsKeyRetirement = once(
  (): KmsRetirementDeps => ({
    store: signingKeyStore(),
    signingOrder: () => (signingKeys() as KmsKeySet).signingOrder(),
  }),
);

/** One document client for every store of the table. */
const tableClient = once(() => documentClient(new DynamoDBClient(awsClientConfig), hotPathClient(awsClientConfig)));

export const store = once(() => new DynamoDbStore(tableClient(), requireEnv(ENV.tableName)));

export const pepperHasher = once(() => new PepperHasher(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.pepperSecretId)));

export const applicationStore = once(() => new DynamoDbApplicationStore(tableClient(), requireEnv(ENV.tableName)));

/** Personal access tokens, opaque access tokens and JWT revocations. */
export const tokenStore = once(() => new DynamoDbTokenStore(tableClient(), requireEnv(ENV.tableName)));

/** Service-account keys (public halves only). */
export const serviceAccountKeyStore = once(() => new DynamoDbServiceAccountKeyStore(tableClient(), requireEnv(ENV.tableName)));

export const idpConnectionStore = once(() => new DynamoDbIdpConnectionStore(tableClient(), requireEnv(ENV.tableName)));

export const endUserStore = once(() => new DynamoDbEndUserStore(tableClient(), requireEnv(ENV.tableName)));
export const delegationReads = once(() => new DynamoDbDelegationReads(tableClient(), requireEnv(ENV.tableName)));

/** Calls enrichment webhooks: HTTPS targets with fetch, Lambda targets with a client made on first use. */
export const webhookCaller = once(
  // The Lambda client's module is loaded by the first Lambda target, not by every function's import.
  () => new WebhookCaller(once(async () => new (await import('./lambda-invoke-client')).LambdaClient(lambdaInvokeClientConfig))),
);

export const webhookVault = once(() => new SecretsManagerWebhookVault(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.webhookSecretPrefix)));
/** HTTP to upstream identity providers, under the outbound policy. */
export const upstreamHttp = once(() => new PolicyUpstreamHttp());
/** Upstream SAML identity providers' metadata URLs, read when a connection is saved, under the outbound policy. */
export const samlMetadataFetcher = once(() => new OutboundSamlMetadataFetcher());
/** Upstream IDP connections' secrets: the same vault, under its own prefix (`{prefix}{environmentId}/{connectionId}`). */
export const connectionSecretVault = once(
  () => new SecretsManagerWebhookVault(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.idpSecretPrefix), 'IDP connection secret'),
);

/** OIDC and SAML clients, and the used `jti`s of client assertions. */
export const clientStore = once(() => new DynamoDbClientStore(tableClient(), requireEnv(ENV.tableName)));

/** Each SAML client's own RSA key, wrapped under the SAML key-wrapping key (its ID read on first use). */
export const samlKeys = once(() => new KmsSamlKeyVault(new KMSClient(awsClientConfig), () => requireEnv(ENV.samlKeyWrappingKeyId)));

/** Authorization requests, codes, refresh tokens, sessions and consent of interactive login. */
export const authorizationStore = once(() => new DynamoDbAuthorizationStore(tableClient(), requireEnv(ENV.tableName)));

export const clock = (): number => Date.now();

/** The audit log: events and chain heads in the table. */
export const auditLog = once(() => new DynamoDbAuditLog(tableClient(), requireEnv(ENV.tableName)));

/** The canary service account's credentials (read on every canary run). */
export const canaryCredentials = once(() => new SecretsManagerCanaryCredentials(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.canarySecretId)));

export { issuer };

/** Failed client authentication counters, per client ID and source address (abuse limits). */
export const failedAuthenticationCounters = once(() => new DynamoDbFailedAuthenticationCounters(hotPathClient(awsClientConfig), requireEnv(ENV.tableName)));
