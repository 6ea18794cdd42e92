import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/aws/server';
import { EnvelopeKeySet } from '../../src/adapters/envelope-key-set';
import { KmsKeyPairFactory } from '../../src/adapters/kms-key-pairs';
import { publishedKeys, rotateSigningKeys, type KeyGeneration, type KeyRing, type RotationDeps, type SigningKeyState, type SigningKeyStore } from '../../src/domain/signing-keys';
import { pregeneratedRsaKeys } from '../support/pregenerated-rsa-keys';

class MemoryStore implements SigningKeyStore {
  ring: KeyRing | undefined;
  readonly generations = new Map<string, KeyGeneration>();
  reads = 0;
  async read(): Promise<SigningKeyState> {
    this.reads++;
    return { ...(this.ring ? { ring: this.ring } : {}), generations: [...this.generations.values()] };
  }
  async putGeneration(generation: KeyGeneration) {
    this.generations.set(generation.id, generation);
  }
  async replaceRing(ring: KeyRing, expected: number) {
    if ((this.ring?.version ?? 0) !== expected) return false;
    this.ring = ring;
    return true;
  }
  async deleteGeneration(id: string) {
    this.generations.delete(id);
  }
}

const REFRESH_MS = 300_000;
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-envelope-'));
let aws: LocalAws;
let kms: KMSClient;
let wrappingKey: string;
const kmsCalls: string[] = [];

beforeAll(async () => {
  aws = await startLocalAws({ dataDir, pregeneratedRsaKeys });
  aws.server.on('request', (request: { headers: Record<string, string> }) => kmsCalls.push(String(request.headers['x-amz-target'])));
  kms = new KMSClient({ region: 'us-east-1', endpoint: aws.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  wrappingKey = (await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;
});
afterAll(async () => {
  kms.destroy();
  await aws.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function setup() {
  const store = new MemoryStore();
  let now = Date.parse('2026-03-01T00:00:00Z');
  let counter = 0;
  const deps: RotationDeps = {
    store,
    keyPairs: new KmsKeyPairFactory(kms, wrappingKey),
    now: () => now,
    newId: () => `key_${++counter}`,
    policy: { minIntervalSeconds: 0, retentionSeconds: 86_400 },
  };
  const signer = new EnvelopeKeySet(store, kms, () => wrappingKey, { refreshMs: REFRESH_MS, now: () => now });
  const verify = async (token: string) => jwtVerify(token, createLocalJWKSet({ keys: publishedKeys(await store.read()) as JWK[] }));
  return { store, signer, verify, rotate: () => rotateSigningKeys(deps), advance: (ms: number) => (now += ms) };
}

const decrypts = () => kmsCalls.filter((target) => target === 'TrentService.Decrypt').length;

describe('envelope signer', () => {
  it('decrypts the current key once, then signs in memory with one ring read per refresh interval', async () => {
    const { store, signer, verify, rotate } = setup();
    await rotate();
    const before = decrypts();
    const readsBefore = store.reads;
    const tokens = [];
    for (let index = 0; index < 20; index++) tokens.push(await signer.sign({ sub: `s${index}` }, { typ: 'at+jwt' }));
    expect(decrypts() - before).toBe(1);
    expect(store.reads - readsBefore).toBe(1);
    for (const token of tokens) expect((await verify(token)).protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
  });

  it('keeps signing with the key it read until the refresh interval has passed, then with the new current key', async () => {
    const { signer, rotate, advance, verify } = setup();
    await rotate();
    const first = decodeProtectedHeader(await signer.sign({ sub: 'a' })).kid;
    await rotate();
    advance(REFRESH_MS - 1);
    const stale = await signer.sign({ sub: 'b' });
    expect(decodeProtectedHeader(stale).kid).toBe(first);
    // The stale key is still published (as previous), so what it signed verifies.
    await expect(verify(stale)).resolves.toBeDefined();
    advance(1);
    const fresh = await signer.sign({ sub: 'c' });
    expect(decodeProtectedHeader(fresh).kid).not.toBe(first);
    await expect(verify(fresh)).resolves.toBeDefined();
  });

  it('signs RS256 with the current generation RSA key, which the JWKS publishes', async () => {
    const { signer, rotate, verify } = setup();
    await rotate();
    const token = await signer.sign({ sub: 'a' }, { alg: 'RS256' });
    expect((await verify(token)).protectedHeader.alg).toBe('RS256');
    const keys = await signer.publicKeys();
    expect(keys.find((key) => key.kid === decodeProtectedHeader(token).kid)).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
  });

  it('says what to do when no key has been made yet', async () => {
    const { signer } = setup();
    await expect(signer.sign({ sub: 'a' })).rejects.toThrow(/run the signing-key rotation once/);
    expect(await signer.publicKeys()).toEqual([]);
  });

  it('refuses a ciphertext under another key-wrapping key, and tries again on the next token instead of caching the failure', async () => {
    const { store, rotate } = setup();
    await rotate();
    let keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;
    const signer = new EnvelopeKeySet(store, kms, () => keyId, { refreshMs: REFRESH_MS });
    await expect(signer.sign({ sub: 'a' })).rejects.toMatchObject({ name: 'IncorrectKeyException' });
    keyId = wrappingKey;
    await expect(signer.sign({ sub: 'a' })).resolves.toMatch(/^ey/);
  });
});
