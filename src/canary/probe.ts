import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

/**
 * The canary's probe: what a client of this deployment does first, through the public API, timed.
 *
 * Rules:
 * 1. Fetch the JWKS: 200 with at least one key.
 * 2. Read the canary service account's credentials; none configured is a failure (the operator turned
 *    the canary on, so it must be able to get a token).
 * 3. Get a token with client credentials (client_secret_basic): 200 with an access token.
 * 4. Verify that token with the JWKS just fetched and the deployment's issuer.
 * The first step that fails ends the probe and names itself; its reason is an HTTP status, an OAuth
 * error code or an error name, never a token or a secret.
 */

/** How the canary's requests show in the access logs (and how to tell them from clients'). */
export const CANARY_USER_AGENT = 'latchkey-canary';

export interface CanaryCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Optional space-separated scope to ask for. */
  readonly scope?: string;
}

/** Where the canary's credentials are kept (Secrets Manager in AWS and in the local runtime). */
export interface CanaryCredentialSource {
  /** The credentials, or undefined when none are configured. */
  read(): Promise<CanaryCredentials | undefined>;
}

export interface CanaryDeps {
  /** The deployment's issuer: the base URL of its public API. */
  readonly issuer: string;
  readonly credentials: CanaryCredentialSource;
  readonly fetch: typeof fetch;
  /** Milliseconds, for latency only. */
  readonly now: () => number;
}

export type CanaryStep = 'jwks' | 'credentials' | 'token' | 'verify';

export interface CanaryResult {
  readonly ok: boolean;
  /** The step that failed. */
  readonly failedStep?: CanaryStep;
  readonly reason?: string;
  /** From the JWKS request to the verified token (or the failure). */
  readonly latencyMs: number;
}

class StepFailed extends Error {
  constructor(
    readonly step: CanaryStep,
    reason: string,
  ) {
    super(reason);
  }
}

/** Parses the secret's JSON; anything else is reported as unconfigured, never echoed. */
export function parseCanaryCredentials(text: string): CanaryCredentials | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { clientId, clientSecret, scope } = value as Record<string, unknown>;
  if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') return undefined;
  return { clientId, clientSecret, ...(typeof scope === 'string' && scope !== '' ? { scope } : {}) };
}

export async function runCanary(deps: CanaryDeps): Promise<CanaryResult> {
  const started = deps.now();
  const base = deps.issuer.replace(/\/+$/, '');
  try {
    const jwksResponse = await deps.fetch(`${base}/.well-known/jwks.json`, { headers: { accept: 'application/json', 'user-agent': CANARY_USER_AGENT } }).catch((error: Error) => {
      throw new StepFailed('jwks', error.name);
    });
    if (jwksResponse.status !== 200) throw new StepFailed('jwks', `HTTP ${jwksResponse.status}`);
    const jwks = (await jwksResponse.json().catch(() => undefined)) as JSONWebKeySet | undefined;
    if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new StepFailed('jwks', 'no keys');

    const credentials = await deps.credentials.read().catch((error: Error) => {
      throw new StepFailed('credentials', error.name);
    });
    if (!credentials) throw new StepFailed('credentials', 'not configured');

    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(credentials.scope ? { scope: credentials.scope } : {}) });
    const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64');
    const tokenResponse = await deps
      .fetch(`${base}/oauth/v2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': CANARY_USER_AGENT },
        body: form.toString(),
      })
      .catch((error: Error) => {
        throw new StepFailed('token', error.name);
      });
    const answer = (await tokenResponse.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
    if (tokenResponse.status !== 200 || typeof answer.access_token !== 'string') {
      throw new StepFailed('token', `HTTP ${tokenResponse.status}${typeof answer.error === 'string' ? ` ${answer.error}` : ''}`);
    }

    await jwtVerify(answer.access_token, createLocalJWKSet(jwks), { issuer: base }).catch((error: Error & { code?: string }) => {
      throw new StepFailed('verify', error.code ?? error.name);
    });
    return { ok: true, latencyMs: deps.now() - started };
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
    return { ok: false, failedStep: error.step, reason: error.message, latencyMs: deps.now() - started };
  }
}
