import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { base64url, calculateJwkThumbprint, type JWK } from 'jose';
import { SigningAlgorithmUnavailable } from '../domain/errors';
import type { PublicJwk, PublicKeySet, TokenSigner } from '../domain/ports';
import { derToJose } from './ecdsa-signature';

/**
 * Latchkey's token keys, held in AWS KMS: tokens are ES256 JWTs signed by `kms:Sign` on the active
 * key, and every published key's public half is served in the JWKS so tokens signed by a key that is
 * being rotated in or out still verify.
 *
 * Rules this module enforces:
 * - Only `ECC_NIST_P256` / `SIGN_VERIFY` keys are used; anything else fails loudly.
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
  ) {}

  async publicKeys(): Promise<readonly PublicJwk[]> {
    return Promise.all(this.publishedKeyIds.map((keyId) => this.publicKey(keyId)));
  }

  async sign(claims: Readonly<Record<string, unknown>>, options: { typ?: string; alg?: 'ES256' | 'RS256' } = {}): Promise<string> {
    // RSA keys are not connected to this signer yet; a client that asks for RS256 gets a clear refusal.
    if (options.alg !== undefined && options.alg !== 'ES256') throw new SigningAlgorithmUnavailable(options.alg);
    if (!this.signingKeyId) throw new TypeError('this function has no signing key; give it `keys: sign` in the route table');
    const { kid } = await this.publicKey(this.signingKeyId);
    const header = { alg: 'ES256', typ: options.typ ?? 'JWT', kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    const digest = createHash('sha256').update(signingInput).digest();
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.signingKeyId,
        Message: digest,
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!Signature) throw new Error('KMS Sign answered without a signature');
    return `${signingInput}.${base64url.encode(derToJose(Signature))}`;
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
    if (answer.KeySpec !== 'ECC_NIST_P256' || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey) {
      throw new TypeError(`KMS key ${keyId} is ${answer.KeySpec}/${answer.KeyUsage}; Latchkey signs with ECC_NIST_P256/SIGN_VERIFY keys`);
    }
    const jwk = createPublicKey({ key: Buffer.from(answer.PublicKey), format: 'der', type: 'spki' }).export({ format: 'jwk' }) as JWK;
    const publicJwk = { kty: jwk.kty!, crv: jwk.crv, x: jwk.x, y: jwk.y };
    return { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk, 'sha256'), alg: 'ES256', use: 'sig' };
  }
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}
