import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { signingMode } from '../../src/config';
import { kmsKeyRetirementDeps, signingKeyRotationDeps } from '../../src/composition/dependencies';
import { DEPLOYMENT_CHAIN } from '../../src/domain/audit';
import { retireCurrentKmsKey, retireCurrentSigningKey, rotateSigningKeys } from '../../src/domain/signing-keys';
import { recordAndLogAuditEvent } from '../../src/http/audit';
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
 * - In KMS signing mode keys are KMS keys that the operator rotates with the stack's context, so only
 *   a retirement is accepted: the key that signs now is listed as retired and the next published
 *   ECC key (a standby key) signs; refused when no standby key is published. Anything else is refused.
 * - Every rotation or retirement leaves an audit event in the deployment's own chain (signing keys
 *   serve every environment), actor `system`: one that happened as a success, one that did not as a
 *   failure with its reason. The answer waits for the event; if it cannot be written the call fails.
 */

export interface RotationAnswer {
  readonly rotated: boolean;
  /** Why nothing changed: `too-soon` (within the minimum interval), `concurrent-rotation`, `no-signing-key` or (KMS mode) `no-standby-key`. */
  readonly reason?: string;
  readonly version?: number;
  readonly next?: string;
  readonly current?: string;
  readonly previous?: readonly string[];
  readonly withdrawn?: readonly string[];
  /** The generation `retireCurrent` took out of the ring. */
  readonly retired?: string;
}

async function rotate(event: unknown): Promise<RotationAnswer> {
  const retire = (event as { retireCurrent?: unknown } | null)?.retireCurrent;
  if (retire !== undefined && retire !== true) throw new TypeError(`retireCurrent must be true or absent, not ${JSON.stringify(retire)}`);
  // Envelope mode only: the rotation makes key pairs under the key-wrapping key, which KMS mode has not.
  const deps = signingMode() === 'envelope' ? signingKeyRotationDeps() : undefined;
  if (!deps) {
    if (!retire) throw new TypeError('KMS signing mode: keys are rotated with the signingKeys and activeSigningKey context; only {"retireCurrent": true} is accepted here');
    return retireKmsKey();
  }
  const result = retire ? await retireCurrentSigningKey(deps) : await rotateSigningKeys(deps);
  const ring = result.ring;
  const answer: RotationAnswer = {
    rotated: result.rotated,
    ...(result.rotated ? { withdrawn: result.withdrawn, ...(result.retired ? { retired: result.retired } : {}) } : { reason: result.reason }),
    ...(ring ? { version: ring.version, next: ring.next, current: ring.current, previous: ring.previous.map((generation) => generation.id) } : {}),
  };
  if (answer.retired) logger.warn('current signing key retired', { ...answer });
  else logger.info(result.rotated ? 'signing keys rotated' : 'signing keys not rotated', { ...answer });
  await audit(retire ? 'signing_keys.retired' : 'signing_keys.rotated', answer);
  return answer;
}

/** KMS mode: `current`, `next` and `retired` are key IDs (`kid`s), not generations. */
async function retireKmsKey(): Promise<RotationAnswer> {
  const result = await retireCurrentKmsKey(kmsKeyRetirementDeps());
  const answer: RotationAnswer = result.retired
    ? { rotated: true, retired: result.kid, version: result.version, current: result.signing, ...(result.standby[0] ? { next: result.standby[0] } : {}), withdrawn: [result.kid] }
    : { rotated: false, reason: result.reason, ...(result.signing ? { current: result.signing } : {}) };
  if (answer.retired) logger.warn('current signing key retired', { ...answer });
  else logger.info('signing key not retired', { ...answer });
  await audit('signing_keys.retired', answer);
  return answer;
}

/** The call's audit event, in the deployment's chain; the answer waits for it. */
async function audit(action: string, answer: RotationAnswer): Promise<void> {
  await recordAndLogAuditEvent(
    {
      tenantId: DEPLOYMENT_CHAIN,
      environmentId: DEPLOYMENT_CHAIN,
      actor: { type: 'system' },
      action,
      target: { type: 'signing_keys', ...(answer.current ? { id: answer.current } : {}) },
      ...(answer.rotated ? { outcome: 'success' } : { outcome: 'failure', errorCode: answer.reason }),
    },
    DEPLOYMENT_CHAIN,
  );
}

export const handler = middy<unknown, RotationAnswer, Error, Context>(rotate).use(injectLambdaContext(logger, { resetKeys: true }));
