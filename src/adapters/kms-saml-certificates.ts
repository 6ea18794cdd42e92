import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SamlCertificateIssuer } from '../domain/clients/ports';
import { buildSelfSignedCertificate } from './x509-certificate';

/**
 * Latchkey's SAML signing certificates: self-signed X.509 certificates for the KMS RSA key, whose
 * signature KMS makes (`RSASSA_PKCS1_V1_5_SHA_256` over a SHA-256 digest computed here), so the
 * private key never leaves KMS.
 *
 * Rules this module enforces:
 * - Only an `RSA_2048` / `SIGN_VERIFY` key is used; anything else fails loudly.
 * - The public key is fetched once per container; a failed fetch is not cached.
 * - Validity starts five minutes back, for SPs whose clocks run behind.
 */
export class KmsSamlCertificateIssuer implements SamlCertificateIssuer {
  private publicKey: Promise<Buffer> | undefined;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async issue(request: { commonName: string; validDays: number; nowMs: number }): Promise<string> {
    const notBefore = new Date(Math.floor(request.nowMs / 1000) * 1000 - 5 * 60_000);
    return buildSelfSignedCertificate(
      {
        subjectPublicKeyInfo: await this.subjectPublicKeyInfo(),
        algorithm: 'RSA-SHA256',
        commonName: request.commonName,
        organization: 'Latchkey',
        notBefore,
        notAfter: new Date(notBefore.getTime() + request.validDays * 86_400_000),
        keyUsage: ['digitalSignature'],
      },
      (tbs) => this.sign(tbs),
    );
  }

  private async sign(tbs: Buffer): Promise<Buffer> {
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: createHash('sha256').update(tbs).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      }),
    );
    if (!Signature) throw new Error('KMS Sign answered without a signature');
    return Buffer.from(Signature);
  }

  private subjectPublicKeyInfo(): Promise<Buffer> {
    if (!this.publicKey) {
      this.publicKey = this.fetchPublicKey();
      this.publicKey.catch(() => (this.publicKey = undefined));
    }
    return this.publicKey;
  }

  private async fetchPublicKey(): Promise<Buffer> {
    const answer = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (answer.KeySpec !== 'RSA_2048' || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
      throw new TypeError(`KMS key ${this.keyId} is ${answer.KeySpec}/${answer.KeyUsage}; SAML certificates need an RSA_2048/SIGN_VERIFY key`);
    }
    return Buffer.from(answer.PublicKey);
  }
}
