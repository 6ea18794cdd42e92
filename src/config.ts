/**
 * Runtime configuration of a Latchkey function, read from its environment once per container.
 *
 * The CDK stack and the local runtime both set these variables from the route table (see
 * `lib/routes.ts`); a variable a handler needs but does not have fails the cold start with a message
 * that names it, instead of failing the first request.
 */

export const ENV = {
  issuer: 'LATCHKEY_ISSUER',
  tableName: 'LATCHKEY_TABLE_NAME',
  /**
   * `envelope` (default): tokens are signed in memory with a key pair whose private half is kept
   * encrypted under the key-wrapping KMS key; `kms`: every token is signed by KMS (`kms:Sign`).
   */
  signingMode: 'LATCHKEY_SIGNING_MODE',
  /** Envelope mode: KMS key ID or ARN of the symmetric key that wraps the signing key pairs. */
  keyWrappingKeyId: 'LATCHKEY_KEY_WRAPPING_KEY_ID',
  /** KMS mode, optional: KMS key ID or ARN of an RSA key that signs RS256 ID tokens. */
  rsaSigningKeyId: 'LATCHKEY_RSA_SIGNING_KEY_ID',
  /**
   * Envelope mode, optional (default 30): how many seconds a function may sign with the key it last
   * read before it reads the key ring again; also how long it caches the published public keys.
   */
  signingKeyRefreshSeconds: 'LATCHKEY_SIGNING_KEY_REFRESH_SECONDS',
  /**
   * Envelope mode, optional (default 600, and at least the guard's JWKS cache plus the JWKS's HTTP
   * `max-age` and the refresh interval): a rotation sooner than this after the last one does nothing,
   * so a `next` key is known to every verifier before it signs.
   */
  keyRotationMinIntervalSeconds: 'LATCHKEY_KEY_ROTATION_MIN_INTERVAL_SECONDS',
  /** KMS key ID or ARN of the key that signs new tokens. */
  signingKeyId: 'LATCHKEY_SIGNING_KEY_ID',
  /** Comma-separated KMS key IDs or ARNs published in the JWKS (the signing key among them). */
  publishedKeyIds: 'LATCHKEY_PUBLISHED_KEY_IDS',
  /** Secrets Manager ID or ARN of the pepper that keys the hashes of client secrets. */
  pepperSecretId: 'LATCHKEY_PEPPER_SECRET_ID',
  /** KMS key ID or ARN of the symmetric key that wraps each SAML client's own RSA signing key. */
  samlKeyWrappingKeyId: 'LATCHKEY_SAML_KEY_WRAPPING_KEY_ID',
  /** Name prefix (`latchkey/<stage>/webhook/`) of the Secrets Manager secrets that sign enrichment webhook requests. */
  webhookSecretPrefix: 'LATCHKEY_WEBHOOK_SECRET_PREFIX',
  /** Name prefix (`latchkey/<stage>/idp/`) of the Secrets Manager secrets of upstream IDP connections (client secrets, private keys). */
  idpSecretPrefix: 'LATCHKEY_IDP_SECRET_PREFIX',
  /**
   * `true` only in the local runtime: webhooks and `jwksUri` may then use plain http to this machine
   * and reach loopback and private addresses. Unset (every deployed stage): https to public addresses only.
   */
  unsafeAllowLocalTargets: 'LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS',
  /** Secrets Manager name or ARN of the canary service account's credentials (`{"clientId":…,"clientSecret":…}`). */
  canarySecretId: 'LATCHKEY_CANARY_SECRET_ID',
  /** Optional: base URL of the mutual-TLS custom domain (`https://mtls.example.com`), for discovery's `mtls_endpoint_aliases`. */
  mtlsBaseUrl: 'LATCHKEY_MTLS_BASE_URL',
  /** Optional (default 400): how many days audit events are kept before they expire. */
  auditRetentionDays: 'LATCHKEY_AUDIT_RETENTION_DAYS',
  /**
   * `true` when every request reaches the API through its CloudFront distribution (context
   * `apiWaf=true`): the client's address is then CloudFront's `CloudFront-Viewer-Address` header,
   * not the address API Gateway saw (an edge server). Unset: that header is the client's own and ignored.
   */
  behindCloudFront: 'LATCHKEY_BEHIND_CLOUDFRONT',
} as const;

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new TypeError(`environment variable ${name} is not set; the route table or the local runtime should set it`);
  }
  return value;
}

export function issuer(): string {
  return requireEnv(ENV.issuer).replace(/\/+$/, '');
}

export function publishedKeyIds(): string[] {
  const ids = requireEnv(ENV.publishedKeyIds)
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const signing = process.env[ENV.signingKeyId];
  if (signing && !ids.includes(signing)) ids.unshift(signing);
  return ids;
}

/** Whether outbound calls may reach this machine and private networks (the local runtime only). Read per call. */
export function localTargetsAllowed(): boolean {
  return process.env[ENV.unsafeAllowLocalTargets] === 'true';
}

/** Whether requests come through Latchkey's CloudFront distribution, so its viewer address header can be trusted. Read per call. */
export function behindCloudFront(): boolean {
  return process.env[ENV.behindCloudFront] === 'true';
}

/** How tokens are signed; see `ENV.signingMode`. Unset: KMS mode if a KMS signing key is named, else envelope. */
export function signingMode(): 'envelope' | 'kms' {
  const mode = process.env[ENV.signingMode];
  if (mode === 'envelope' || mode === 'kms') return mode;
  if (mode) throw new TypeError(`${ENV.signingMode} must be "envelope" or "kms", not "${mode}"`);
  return process.env[ENV.signingKeyId] ? 'kms' : 'envelope';
}

/** A whole number of seconds from the environment, or the default when unset. */
export function secondsFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new TypeError(`environment variable ${name} must be a whole number of seconds, not "${value}"`);
  return seconds;
}

/** Days audit events are kept (`ENV.auditRetentionDays`), 400 unless set; at least one. */
export function auditRetentionDays(): number {
  const value = process.env[ENV.auditRetentionDays];
  if (value === undefined || value === '') return 400;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) throw new TypeError(`environment variable ${ENV.auditRetentionDays} must be a whole number of days, at least 1, not "${value}"`);
  return days;
}
