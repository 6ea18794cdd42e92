import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { SigningAlgorithmNotConfigured } from '../domain/errors';
import type { PublicJwk, PublicKeySet, TokenSigner } from '../domain/ports';
import { publishedKeys, signingKeyPair, type SigningAlgorithm, type SigningKeyState, type SigningKeyStore, type WrappedKeyPair } from '../domain/signing-keys';
import { signingKeyContext } from './kms-key-pairs';

/**
 * Envelope mode: tokens are signed in memory with the current generation's private key, which is
 * decrypted by `kms:Decrypt` once per container and generation; public keys come from the table only.
 *
 * Rules this module enforces:
 * - The key ring is read at most once per `refreshMs` (one strongly consistent Query); between reads
 *   this container signs with the key it last saw as current. So a rotation reaches every signer
 *   within `refreshMs` (bounded staleness). That is safe because the key it moves to has already been
 *   published as `next` for at least a rotation interval (longer than `refreshMs` plus the JWKS
 *   cache), and the key it moves from stays published as `previous` until its tokens have expired.
 *   A key retired after a suspected compromise leaves the ring at once: within `refreshMs` this
 *   container neither signs with it nor publishes it, so its tokens stop verifying here.
 * - Decrypt names the key-wrapping key and the encryption context the rotation bound to the
 *   ciphertext (purpose, generation, algorithm); KMS refuses any other combination.
 * - The decrypted PKCS#8 bytes are zeroed once parsed; the key lives on only as a KeyObject in this
 *   container's memory, never on disk, in a log or in the table.
 * - Signing is Node's synchronous `crypto.sign` on that KeyObject (ES256 as r || s, RFC 7518 §3.4):
 *   a tenth of the CPU of the WebCrypto path jose signs with, which is most of a token's CPU.
 * - A failed read or decryption is not cached: the next token tries again.
 */
export class EnvelopeKeySet implements TokenSigner, PublicKeySet {
  private state: { readAt: number; value: Promise<SigningKeyState> } | undefined;
  private readonly privateKeys = new Map<string, { generationId: string; key: Promise<KeyObject> }>();

  constructor(
    private readonly store: SigningKeyStore,
    private readonly kms: KMSClient,
    /** Read on first decryption only: functions that only verify need no key-wrapping key. */
    private readonly keyWrappingKeyId: () => string,
    private readonly options: { readonly refreshMs: number; readonly now?: () => number },
  ) {}

  async publicKeys(): Promise<readonly PublicJwk[]> {
    return publishedKeys(await this.snapshot());
  }

  async sign(claims: Readonly<Record<string, unknown>>, options: { typ?: string; alg?: SigningAlgorithm } = {}): Promise<string> {
    const alg = options.alg ?? 'ES256';
    const state = await this.snapshot();
    const signing = signingKeyPair(state, alg);
    if (!signing) {
      if (state.ring) throw new SigningAlgorithmNotConfigured(alg);
      throw new Error('no current signing key in the table: run the signing-key rotation once (npm run rotate-signing-keys)');
    }
    const key = await this.privateKey(signing.generationId, signing.keyPair);
    const header = { alg, typ: options.typ ?? 'JWT', kid: signing.keyPair.publicJwk.kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  private snapshot(): Promise<SigningKeyState> {
    const now = (this.options.now ?? Date.now)();
    if (!this.state || now - this.state.readAt >= this.options.refreshMs) {
      const entry = { readAt: now, value: this.store.read() };
      entry.value.catch(() => {
        if (this.state === entry) this.state = undefined;
      });
      this.state = entry;
    }
    return this.state.value;
  }

  private privateKey(generationId: string, keyPair: WrappedKeyPair): Promise<KeyObject> {
    const cacheKey = `${generationId}/${keyPair.alg}`;
    let entry = this.privateKeys.get(cacheKey);
    if (!entry) {
      // Keys of generations that no longer sign are dropped as soon as a newer one is needed.
      for (const [other, cached] of this.privateKeys) if (cached.generationId !== generationId) this.privateKeys.delete(other);
      entry = { generationId, key: this.unwrap(generationId, keyPair) };
      entry.key.catch(() => this.privateKeys.delete(cacheKey));
      this.privateKeys.set(cacheKey, entry);
    }
    return entry.key;
  }

  private async unwrap(generationId: string, keyPair: WrappedKeyPair): Promise<KeyObject> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(keyPair.wrappedPrivateKey, 'base64'),
        KeyId: this.keyWrappingKeyId(),
        EncryptionContext: signingKeyContext(generationId, keyPair.alg),
      }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt answered without a plaintext');
    try {
      const key = createPrivateKey({ key: Buffer.from(Plaintext.buffer, Plaintext.byteOffset, Plaintext.byteLength), format: 'der', type: 'pkcs8' });
      const expected = keyPair.alg === 'ES256' ? 'ec' : 'rsa';
      if (key.asymmetricKeyType !== expected) throw new TypeError(`the ${keyPair.alg} key of generation ${generationId} is not an ${expected} key`);
      return key;
    } finally {
      Plaintext.fill(0);
    }
  }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
