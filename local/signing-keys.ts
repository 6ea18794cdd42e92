import { signingKeyRotation } from '../src/adapters/from-environment';
import { rotateSigningKeys } from '../src/domain/signing-keys';
import { ensureKey } from './provision';

/**
 * Envelope signing on the local runtime: the key-wrapping key in the KMS stand-in (made once, found
 * again after a restart), and a first rotation when the table has no signing key yet, as the stack's
 * first scheduled rotation would.
 */

export const KEY_WRAPPING_KEY_ALIAS = 'alias/latchkey-local-key-wrapping';

export function ensureKeyWrappingKey(alias: string = KEY_WRAPPING_KEY_ALIAS, description = 'Latchkey local key-wrapping key'): Promise<string> {
  return ensureKey(alias, 'SYMMETRIC_DEFAULT', description);
}

/** Rotates once if no key signs yet; needs the environment of envelope mode set. */
export async function ensureCurrentSigningKey(): Promise<void> {
  const deps = signingKeyRotation();
  const { ring } = await deps.store.read();
  if (!ring) await rotateSigningKeys(deps);
}
