import { GenerateDataKeyPairWithoutPlaintextCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyPairFactory, SigningAlgorithm, WrappedKeyPair } from '../domain/signing-keys';
import { publicJwkFromSpki } from './public-jwk';

/**
 * Envelope mode: the encryption context bound to every wrapped signing key. KMS refuses to decrypt
 * the ciphertext under any other context, and IAM allows the key-wrapping key only for this purpose
 * (`kms:EncryptionContext:latchkey:purpose`), so a ciphertext copied elsewhere, or a role allowed the
 * key for another purpose, cannot unwrap a signing key.
 */
export const SIGNING_KEY_PURPOSE = { 'latchkey:purpose': 'token-signing' } as const;

export function signingKeyContext(generationId: string, alg: SigningAlgorithm): Record<string, string> {
  return { ...SIGNING_KEY_PURPOSE, 'latchkey:key-generation': generationId, 'latchkey:alg': alg };
}

const KEY_PAIR_SPECS: Record<SigningAlgorithm, 'ECC_NIST_P256' | 'RSA_2048'> = { ES256: 'ECC_NIST_P256', RS256: 'RSA_2048' };

/**
 * Makes each generation's key pairs with `kms:GenerateDataKeyPairWithoutPlaintext`: KMS generates the
 * pair and answers the public key and the private key encrypted under the key-wrapping key, so the
 * rotation function never sees a private key in clear.
 */
export class KmsKeyPairFactory implements KeyPairFactory {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyWrappingKeyId: string,
  ) {}

  create(generationId: string): Promise<WrappedKeyPair[]> {
    return Promise.all((Object.keys(KEY_PAIR_SPECS) as SigningAlgorithm[]).map((alg) => this.createPair(generationId, alg)));
  }

  private async createPair(generationId: string, alg: SigningAlgorithm): Promise<WrappedKeyPair> {
    const answer = await this.kms.send(
      new GenerateDataKeyPairWithoutPlaintextCommand({
        KeyId: this.keyWrappingKeyId,
        KeyPairSpec: KEY_PAIR_SPECS[alg],
        EncryptionContext: signingKeyContext(generationId, alg),
      }),
    );
    if (!answer.PublicKey || !answer.PrivateKeyCiphertextBlob) throw new Error('KMS GenerateDataKeyPairWithoutPlaintext answered without a key pair');
    return {
      alg,
      publicJwk: await publicJwkFromSpki(answer.PublicKey, alg),
      wrappedPrivateKey: Buffer.from(answer.PrivateKeyCiphertextBlob).toString('base64'),
    };
  }
}
