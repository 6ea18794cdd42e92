/**
 * The API's Lambda authorizer when it sits behind CloudFront (context `apiWaf=true`): a request
 * passes only if it carries the origin header CloudFront adds, with the value of the stage's
 * origin secret. API Gateway answers 401 itself when the header is missing, and caches each
 * header value's answer for an hour, so this runs about once an hour per value.
 *
 * Rules:
 * - Accepts the secret's current and previous versions, so the secret can be rotated (put a new
 *   value, then deploy so CloudFront sends it) without refusing requests in between.
 * - Compares SHA-256 digests with `timingSafeEqual`; never logs the header or the secret.
 * - Reads the secret at most every five minutes per container.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ORIGIN_HEADER } from './origin-header';
const REFRESH_MS = 5 * 60 * 1000;

interface AuthorizerEvent {
  readonly headers?: Record<string, string | undefined>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whether `presented` is one of `accepted`, in time independent of where they differ. */
export function matchesOneOf(presented: string | undefined, accepted: readonly string[]): boolean {
  if (!presented) return false;
  const given = digest(presented);
  let match = false;
  for (const value of accepted) match = timingSafeEqual(given, digest(value)) || match;
  return match;
}

const secretId = process.env.LATCHKEY_ORIGIN_SECRET_ID;
if (!secretId) throw new TypeError('LATCHKEY_ORIGIN_SECRET_ID is not set');
const client = new SecretsManagerClient({});
let cached: { values: string[]; at: number } | undefined;

async function acceptedValues(): Promise<string[]> {
  if (cached && Date.now() - cached.at < REFRESH_MS) return cached.values;
  const read = (VersionStage: string) =>
    client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage })).then(
      (answer) => answer.SecretString,
      (error: Error) => {
        // A secret never rotated has no previous version.
        if (VersionStage === 'AWSPREVIOUS' && error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      },
    );
  const values = (await Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')])).filter((value): value is string => Boolean(value));
  cached = { values, at: Date.now() };
  return values;
}

export async function handler(event: AuthorizerEvent): Promise<{ isAuthorized: boolean }> {
  return { isAuthorized: matchesOneOf(event.headers?.[ORIGIN_HEADER], await acceptedValues()) };
}
