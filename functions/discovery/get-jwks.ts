import { JWKS_MAX_AGE_SECONDS, publishedKeys } from '../../src/composition/dependencies';
import { httpHandler, json } from '../../src/http/handler';

/**
 * Cached for `JWKS_MAX_AGE_SECONDS` (30 s): short, so that a retired key leaves HTTP caches within a
 * minute of its retirement (the answer itself may be as old as the signers' refresh); a key
 * published as `next` stays unused for the rotation interval, far longer. The keys come from the
 * container's cached key set, so a short `max-age` costs neither the table nor KMS a read per request.
 */
export const handler = httpHandler({ errors: 'problem', cacheControl: `public, max-age=${JWKS_MAX_AGE_SECONDS}` }, async () =>
  json(200, { keys: await publishedKeys().publicKeys() }, { 'content-type': 'application/jwk-set+json' }),
);
