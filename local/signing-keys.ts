import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { signingKeyRotation } from '../src/adapters/from-environment';
import { rotateSigningKeys } from '../src/domain/signing-keys';

/**
 * Envelope signing on the local runtime: the key-wrapping key in the KMS stand-in (made once, found
 * again after a restart), and a first rotation when the table has no signing key yet, as the stack's
 * first scheduled rotation would.
 */

export const KEY_WRAPPING_KEY_ALIAS = 'alias/latchkey-local-key-wrapping';

export async function ensureKeyWrappingKey(alias: string = KEY_WRAPPING_KEY_ALIAS, description = 'Latchkey local key-wrapping key'): Promise<string> {
  const kms = new KMSClient({});
  try {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    return KeyMetadata!.Arn!;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: description }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
  return KeyMetadata!.Arn!;
}

/** Rotates once if no key signs yet; needs the environment of envelope mode set. */
export async function ensureCurrentSigningKey(): Promise<void> {
  const deps = signingKeyRotation();
  const { ring } = await deps.store.read();
  if (!ring) await rotateSigningKeys(deps);
}
