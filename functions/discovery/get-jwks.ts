import { kmsKeySet } from '../../src/adapters/from-environment';
import { httpHandler, json } from '../../src/http/handler';

const keys = kmsKeySet();

/**
 * Five minutes: short enough that a key published ahead of a rotation reaches every verifier long
 * before it starts signing (see the README's key rotation steps), long enough to spare KMS.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

export const handler = httpHandler(
  { errors: 'problem', cacheControl: `public, max-age=${JWKS_MAX_AGE_SECONDS}` },
  async () => json(200, { keys: await keys.publicKeys() }, { 'content-type': 'application/jwk-set+json' }),
);
