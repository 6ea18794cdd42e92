import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { base64url } from 'jose';
import { SigningAlgorithmNotConfigured } from '../domain/errors';
import type { PublicJwk, PublicKeySet, TokenSigner } from '../domain/ports';
import { derToJose } from './ecdsa-signature';
import { publicJwkFromSpki } from './public-jwk';

/**
 * KMS signing mode: Latchkey's token keys, held in AWS KMS: tokens are ES256 JWTs signed by
 * `kms:Sign` on the active key (RS256 by the optional RSA key), and every published key's public half
 * is served in the JWKS so tokens signed by a key that is being rotated in or out still verify.
 *
 * Rules this module enforces:
 * - Only `ECC_NIST_P256` (ES256) and `RSA_2048` (RS256) `SIGN_VERIFY` keys are used; anything else
 *   fails loudly. RS256 without an RSA key is refused with `SigningAlgorithmNotConfigured`.
 * - `kid` is the RFC 7638 SHA-256 thumbprint of the public JWK, so it is stable and derivable.
 * - KMS signs a SHA-256 digest computed here (`MessageType: DIGEST`), so token size is never bound
 *   by KMS's 4 KB raw-message limit.
 * - Public keys are fetched once per container and cached; a failed fetch is not cached.
 */
export class KmsKeySet implements TokenSigner, PublicKeySet {
  private readonly cache = new Map<string, Promise<PublicJwk>>();

  constructor(
    private readonly kms: KMSClient,
    private readonly signingKeyId: string | undefined,
    private readonly publishedKeyIds: readonly string[],
    /** The RSA key that signs RS256 tokens, published too; none: RS256 is refused. */
    private readonly rsaSigningKeyId?: string,
  ) {}

  async publicKeys(): Promise<readonly PublicJwk[]> {
    const ids = this.rsaSigningKeyId && !this.publishedKeyIds.includes(this.rsaSigningKeyId) ? [...this.publishedKeyIds, this.rsaSigningKeyId] : this.publishedKeyIds;
    return Promise.all(ids.map((keyId) => this.publicKey(keyId)));
  }

  async sign(claims: Readonly<Record<string, unknown>>, options: { typ?: string; alg?: 'ES256' | 'RS256' } = {}): Promise<string> {
    const alg = options.alg ?? 'ES256';
    if (alg === 'RS256' && !this.rsaSigningKeyId) throw new SigningAlgorithmNotConfigured(alg);
    const keyId = alg === 'RS256' ? this.rsaSigningKeyId : this.signingKeyId;
    if (!keyId) throw new TypeError('this function has no signing key; give it `keys: sign` in the route table');
    const { kid } = await this.publicKey(keyId);
    const header = { alg, typ: options.typ ?? 'JWT', kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    const digest = createHash('sha256').update(signingInput).digest();
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: keyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: alg === 'RS256' ? 'RSASSA_PKCS1_V1_5_SHA_256' : 'ECDSA_SHA_256',
      }),
    );
    if (!Signature) throw new Error('KMS Sign answered without a signature');
    // JWS wants ECDSA signatures as r || s (RFC 7518 §3.4); RSA signatures are used as they are.
    return `${signingInput}.${base64url.encode(alg === 'ES256' ? derToJose(Signature) : Signature)}`;
  }

  private publicKey(keyId: string): Promise<PublicJwk> {
    let entry = this.cache.get(keyId);
    if (!entry) {
      entry = this.fetchPublicKey(keyId);
      entry.catch(() => this.cache.delete(keyId));
      this.cache.set(keyId, entry);
    }
    return entry;
  }

  private async fetchPublicKey(keyId: string): Promise<PublicJwk> {
    const answer = await this.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const alg = answer.KeySpec === 'ECC_NIST_P256' ? 'ES256' : answer.KeySpec === 'RSA_2048' ? 'RS256' : undefined;
    if (!alg || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
      throw new TypeError(`KMS key ${keyId} is ${answer.KeySpec}/${answer.KeyUsage}; Latchkey signs with ECC_NIST_P256 or RSA_2048 SIGN_VERIFY keys`);
    }
    return publicJwkFromSpki(answer.PublicKey, alg);
  }
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}
