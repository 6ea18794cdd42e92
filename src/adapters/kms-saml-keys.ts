import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyPairWithoutPlaintextCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SamlKeyVault, SamlSigningKey } from '../domain/saml/signing-keys';
import { buildSelfSignedCertificate } from './x509-certificate';

/** The key policy and IAM allow the SAML key-wrapping key only with this purpose in the encryption context. */
export const SAML_KEY_PURPOSE = { 'latchkey:purpose': 'saml-signing' } as const;

export function samlKeyContext(clientId: string, keyId: string): Record<string, string> {
  return { ...SAML_KEY_PURPOSE, 'latchkey:saml-client': clientId, 'latchkey:key-id': keyId };
}

/**
 * SAML client keys in envelope form: KMS `GenerateDataKeyPairWithoutPlaintext` makes an RSA_2048 pair
 * and answers the private key encrypted under the SAML key-wrapping key (a symmetric KMS key of its
 * own, in both signing modes); `Decrypt` opens it to sign.
 *
 * Rules this module enforces:
 * - The encryption context binds a ciphertext to its client and key: a wrapped key copied into
 *   another client's record does not decrypt.
 * - The certificate is self-signed by the client key. SAML trusts a signing certificate by pinning
 *   it from the metadata (saml-metadata-2.0 §2.4.1.1), not through a chain, so a CA-like issuer would
 *   add a KMS key to trust without adding any check a service provider makes; self-signing also
 *   proves the published certificate belongs to the key that signs assertions.
 * - Decrypted PKCS#8 bytes are zeroed once parsed; a failed decryption is not cached.
 */
export class KmsSamlKeyVault implements SamlKeyVault {
  private readonly keys = new Map<string, Promise<KeyObject>>();

  constructor(
    private readonly kms: KMSClient,
    /** Read on first use: functions that never touch SAML keys need no key-wrapping key. */
    private readonly keyWrappingKeyId: () => string,
  ) {}

  async createKey(request: { clientId: string; keyId: string; nowMs: number; validDays: number }): Promise<Omit<SamlSigningKey, 'createdAt'>> {
    const answer = await this.kms.send(
      new GenerateDataKeyPairWithoutPlaintextCommand({
        KeyId: this.keyWrappingKeyId(),
        KeyPairSpec: 'RSA_2048',
        EncryptionContext: samlKeyContext(request.clientId, request.keyId),
      }),
    );
    if (!answer.PublicKey || !answer.PrivateKeyCiphertextBlob) throw new Error('KMS GenerateDataKeyPairWithoutPlaintext answered without a key pair');
    const wrappedPrivateKey = Buffer.from(answer.PrivateKeyCiphertextBlob).toString('base64');
    const privateKey = await this.open(request.clientId, request.keyId, wrappedPrivateKey);
    // Validity starts five minutes back, for service providers whose clocks run behind.
    const notBefore = new Date(Math.floor(request.nowMs / 1000) * 1000 - 5 * 60_000);
    const certificate = await buildSelfSignedCertificate(
      {
        subjectPublicKeyInfo: Buffer.from(answer.PublicKey),
        algorithm: 'RSA-SHA256',
        commonName: request.clientId,
        organization: 'Latchkey',
        notBefore,
        notAfter: new Date(notBefore.getTime() + request.validDays * 86_400_000),
        keyUsage: ['digitalSignature'],
      },
      (tbs) => sign('sha256', tbs, privateKey),
    );
    return { keyId: request.keyId, certificate, wrappedPrivateKey };
  }

  privateKey(clientId: string, key: SamlSigningKey): Promise<KeyObject> {
    let opened = this.keys.get(key.keyId);
    if (!opened) {
      opened = this.open(clientId, key.keyId, key.wrappedPrivateKey);
      this.keys.set(key.keyId, opened);
      opened.catch(() => this.keys.delete(key.keyId));
    }
    return opened;
  }

  private async open(clientId: string, keyId: string, wrappedPrivateKey: string): Promise<KeyObject> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({
        KeyId: this.keyWrappingKeyId(),
        CiphertextBlob: Buffer.from(wrappedPrivateKey, 'base64'),
        EncryptionContext: samlKeyContext(clientId, keyId),
      }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt answered without plaintext');
    const der = Buffer.from(Plaintext);
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
      Plaintext.fill(0);
    }
  }
}
