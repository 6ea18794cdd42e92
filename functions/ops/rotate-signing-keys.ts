import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { signingMode } from '../../src/config';
import { signingKeyRotationDeps } from '../../src/composition/dependencies';
import { retireCurrentSigningKey, rotateSigningKeys } from '../../src/domain/signing-keys';
import { logger } from '../../src/http/observability';

/**
 * Envelope mode: one step of the signing keys' life (a new `next`; next → current → previous; old
 * previous withdrawn once its tokens have expired). Run by the stack's schedule and by
 * `npm run rotate-signing-keys`; not on the HTTP API: calling it needs `lambda:InvokeFunction`.
 * With `{"retireCurrent": true}` (`npm run rotate-signing-keys -- --retire-current`) it retires the
 * current key at once instead, whatever the minimum interval: a suspected compromise.
 *
 * Rules:
 * - Any other input is a plain rotation: the schedule's event and the command's `{}` are the same
 *   request. `retireCurrent` must be `true` or absent; anything else is refused before a change.
 * - Answers and logs key generation IDs and key IDs (public thumbprints) only, never key material.
 * - In KMS signing mode it refuses: keys there are KMS keys, rotated by the operator.
 */

export interface RotationAnswer {
  readonly rotated: boolean;
  /** Why nothing changed: `too-soon` (within the minimum interval) or `concurrent-rotation`. */
  readonly reason?: string;
  readonly version?: number;
  readonly next?: string;
  readonly current?: string;
  readonly previous?: readonly string[];
  readonly withdrawn?: readonly string[];
  /** The generation `retireCurrent` took out of the ring. */
  readonly retired?: string;
}

if (signingMode() !== 'envelope') throw new TypeError('rotate-signing-keys runs in envelope signing mode only; KMS-mode keys are rotated in KMS');
const deps = signingKeyRotationDeps();

async function rotate(event: unknown): Promise<RotationAnswer> {
  const retire = (event as { retireCurrent?: unknown } | null)?.retireCurrent;
  if (retire !== undefined && retire !== true) throw new TypeError(`retireCurrent must be true or absent, not ${JSON.stringify(retire)}`);
  const result = retire ? await retireCurrentSigningKey(deps) : await rotateSigningKeys(deps);
  const ring = result.ring;
  const answer: RotationAnswer = {
    rotated: result.rotated,
    ...(result.rotated ? { withdrawn: result.withdrawn, ...(result.retired ? { retired: result.retired } : {}) } : { reason: result.reason }),
    ...(ring ? { version: ring.version, next: ring.next, current: ring.current, previous: ring.previous.map((generation) => generation.id) } : {}),
  };
  if (answer.retired) logger.warn('current signing key retired', { ...answer });
  else logger.info(result.rotated ? 'signing keys rotated' : 'signing keys not rotated', { ...answer });
  return answer;
}

export const handler = middy<unknown, RotationAnswer, Error, Context>(rotate).use(injectLambdaContext(logger, { resetKeys: true }));
