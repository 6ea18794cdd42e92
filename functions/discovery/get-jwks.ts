import { JWKS_MAX_AGE_SECONDS, publishedKeys } from '../../src/composition/dependencies';
import { httpHandler, json } from '../../src/http/handler';

const keys = publishedKeys();

/**
 * Cached for `JWKS_MAX_AGE_SECONDS` (five minutes): a key published as `next` stays unused for at
 * least the rotation interval, which is longer than this, so every verifier knows a key before it
 * signs; long enough to spare the table (envelope mode) or KMS (KMS mode).
 */
export const handler = httpHandler({ errors: 'problem', cacheControl: `public, max-age=${JWKS_MAX_AGE_SECONDS}` }, async () =>
  json(200, { keys: await keys.publicKeys() }, { 'content-type': 'application/jwk-set+json' }),
);
