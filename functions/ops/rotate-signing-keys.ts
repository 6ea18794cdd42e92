import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { signingMode } from '../../src/config';
import { auditDeps, signingKeyRotationDeps } from '../../src/composition/dependencies';
import { DEPLOYMENT_CHAIN, recordAuditEvent } from '../../src/domain/audit';
import { rotateSigningKeys } from '../../src/domain/signing-keys';
import { logAuditEvent } from '../../src/http/audit';
import { logger } from '../../src/http/observability';

/**
 * Envelope mode: one step of the signing keys' life (a new `next`; next → current → previous; old
 * previous withdrawn once its tokens have expired). Run by the stack's schedule and by
 * `npm run rotate-signing-keys`; not on the HTTP API: calling it needs `lambda:InvokeFunction`.
 *
 * Rules:
 * - Takes no input: the schedule's event and the command's `{}` are the same request.
 * - Answers and logs key generation IDs and key IDs (public thumbprints) only, never key material.
 * - In KMS signing mode it refuses: keys there are KMS keys, rotated by the operator.
 * - Every call leaves an audit event in the deployment's own chain (signing keys serve every
 *   environment), actor `system`: a rotation as a success, a rotation that did not happen as a
 *   failure with its reason. The answer waits for the event; if it cannot be written the call fails.
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
}

if (signingMode() !== 'envelope') throw new TypeError('rotate-signing-keys runs in envelope signing mode only; KMS-mode keys are rotated in KMS');
const deps = signingKeyRotationDeps();

async function rotate(): Promise<RotationAnswer> {
  const result = await rotateSigningKeys(deps);
  const ring = result.ring;
  const answer: RotationAnswer = {
    rotated: result.rotated,
    ...(result.rotated ? { withdrawn: result.withdrawn } : { reason: result.reason }),
    ...(ring ? { version: ring.version, next: ring.next, current: ring.current, previous: ring.previous.map((generation) => generation.id) } : {}),
  };
  logger.info(result.rotated ? 'signing keys rotated' : 'signing keys not rotated', { ...answer });
  const event = await recordAuditEvent(
    auditDeps(),
    {
      tenantId: DEPLOYMENT_CHAIN,
      environmentId: DEPLOYMENT_CHAIN,
      actor: { type: 'system' },
      action: 'signing_keys.rotated',
      target: { type: 'signing_keys', ...(ring ? { id: ring.current } : {}) },
      ...(result.rotated ? { outcome: 'success' } : { outcome: 'failure', errorCode: result.reason }),
    },
    DEPLOYMENT_CHAIN,
  );
  logAuditEvent(event);
  return answer;
}

export const handler = middy<unknown, RotationAnswer, Error, Context>(rotate).use(injectLambdaContext(logger, { resetKeys: true }));
