import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import { base64url } from 'jose';
import { SigningAlgorithmNotConfigured } from '../domain/errors';
import type { PublicJwk, PublicKeySet, TokenSigner } from '../domain/ports';
import { kmsSigningKid, type KmsRetirementStore } from '../domain/signing-keys';
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
 * - Keys retired after a suspected compromise (`retireCurrentKmsKey`, a list in the table) are
 *   neither published nor used: ES256 is signed by the first published ECC key that is not retired,
 *   the active key first. The list is read at most once per `refreshMs`, so a retirement reaches
 *   every signer and verifier within it; a failed read is not cached.
 */
export class KmsKeySet implements TokenSigner, PublicKeySet {
  private readonly cache = new Map<string, Promise<PublicJwk>>();
  private retiredKids: { readAt: number; value: Promise<readonly string[]> } | undefined;

  constructor(
    private readonly kms: KMSClient,
    private readonly signingKeyId: string | undefined,
    private readonly publishedKeyIds: readonly string[],
    /** The RSA key that signs RS256 tokens, published too; none: RS256 is refused. */
    private readonly rsaSigningKeyId?: string,
    /** Where retired keys are listed, and how long a read of the list is trusted; none: nothing is ever retired. */
    private readonly retirements?: { readonly store: Pick<KmsRetirementStore, 'readRetirements'>; readonly refreshMs: number; readonly now?: () => number },
  ) {}

  async publicKeys(): Promise<readonly PublicJwk[]> {
    const ids = this.rsaSigningKeyId && !this.publishedKeyIds.includes(this.rsaSigningKeyId) ? [...this.publishedKeyIds, this.rsaSigningKeyId] : this.publishedKeyIds;
    const [keys, retired] = await Promise.all([Promise.all(ids.map((keyId) => this.publicKey(keyId))), this.retired()]);
    return keys.filter((key) => !retired.includes(key.kid));
  }

  /** The `kid`s of the published ES256 keys in signing order: the active key first, then the others as published. */
  async signingOrder(): Promise<string[]> {
    return (await this.eccKeys()).map(({ jwk }) => jwk.kid);
  }

  async sign(claims: Readonly<Record<string, unknown>>, options: { typ?: string; alg?: 'ES256' | 'RS256' } = {}): Promise<string> {
    const alg = options.alg ?? 'ES256';
    if (alg === 'RS256' && !this.rsaSigningKeyId) throw new SigningAlgorithmNotConfigured(alg);
    if (alg === 'ES256' && !this.signingKeyId) throw new TypeError('this function has no signing key; give it `keys: sign` in the route table');
    const { keyId, kid } = alg === 'RS256' ? { keyId: this.rsaSigningKeyId!, kid: (await this.publicKey(this.rsaSigningKeyId!)).kid } : await this.eccSigningKey();
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

  /** The ES256 key that signs now: the first in signing order that is not retired. */
  private async eccSigningKey(): Promise<{ keyId: string; kid: string }> {
    const [keys, retired] = await Promise.all([this.eccKeys(), this.retired()]);
    const kid = kmsSigningKid(
      keys.map(({ jwk }) => jwk.kid),
      retired,
    );
    const signing = keys.find(({ jwk }) => jwk.kid === kid);
    if (!signing) throw new Error('every published ES256 signing key is retired: deploy a new active signing key (docs/operations.md)');
    return { keyId: signing.keyId, kid: signing.jwk.kid };
  }

  private async eccKeys(): Promise<Array<{ keyId: string; jwk: PublicJwk }>> {
    const ids = [...new Set([...(this.signingKeyId ? [this.signingKeyId] : []), ...this.publishedKeyIds])].filter((keyId) => keyId !== this.rsaSigningKeyId);
    const keys = await Promise.all(ids.map(async (keyId) => ({ keyId, jwk: await this.publicKey(keyId) })));
    return keys.filter(({ jwk }) => jwk.alg === 'ES256');
  }

  private retired(): Promise<readonly string[]> {
    const retirements = this.retirements;
    if (!retirements) return Promise.resolve([]);
    const now = (retirements.now ?? Date.now)();
    if (!this.retiredKids || now - this.retiredKids.readAt >= retirements.refreshMs) {
      const entry = { readAt: now, value: retirements.store.readRetirements().then((list) => list.kids) };
      entry.value.catch(() => {
        if (this.retiredKids === entry) this.retiredKids = undefined;
      });
      this.retiredKids = entry;
    }
    return this.retiredKids.value;
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
