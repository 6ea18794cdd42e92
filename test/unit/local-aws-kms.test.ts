import { constants, createHash, createPrivateKey, createPublicKey, sign as signLocally, verify } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  SignCommand,
  VerifyCommand,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/aws/server';
import { PREGENERATED_RSA_KEYS } from '../support/pregenerated-rsa-key-fixture';
import { pregeneratedRsaKeys, pregeneratedRsaPublicKey } from '../support/pregenerated-rsa-keys';

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-local-kms-'));
let server: LocalAws;
let kms: KMSClient;

const clientFor = (url: string) => new KMSClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

async function nameOfError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  throw new Error('expected the call to fail');
}

async function createKey(KeySpec: 'ECC_NIST_P256' | 'RSA_2048') {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY', Description: 'test', Tags: [{ TagKey: 'a', TagValue: 'b' }] }));
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: KeyMetadata!.KeyId }));
  return { keyId: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn!, publicKey: createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }) };
}

async function sign(KeyId: string, message: Uint8Array, SigningAlgorithm: SigningAlgorithmSpec, MessageType: 'RAW' | 'DIGEST' = 'RAW') {
  const { Signature } = await kms.send(new SignCommand({ KeyId, Message: message, SigningAlgorithm, MessageType }));
  return Buffer.from(Signature!);
}

// RSA keys made ahead of time, as every test stand-in; the last describe generates fresh ones.
beforeAll(async () => {
  server = await startLocalAws({ dataDir, pregeneratedRsaKeys });
  kms = clientFor(server.url);
});

afterAll(async () => {
  kms.destroy();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local KMS stand-in', () => {
  const message = Buffer.from('header.payload');
  const digest = createHash('sha256').update(message).digest();

  it('creates an ECC key whose DER ECDSA signatures verify for RAW and DIGEST messages', async () => {
    const key = await createKey('ECC_NIST_P256');
    expect(key.arn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${key.keyId}`);
    expect(key.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const described = await kms.send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(described.KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'], Description: 'test' });
    expect(described.KeyMetadata!.CreationDate).toBeInstanceOf(Date);
    for (let i = 0; i < 8; i++) {
      // Several rounds so both high-S and low-S signatures are exercised.
      const raw = await sign(key.keyId, message, 'ECDSA_SHA_256');
      const pre = await sign(key.keyId, digest, 'ECDSA_SHA_256', 'DIGEST');
      expect(raw[0]).toBe(0x30); // DER SEQUENCE, not raw r||s
      expect(verify('sha256', message, key.publicKey, raw)).toBe(true);
      expect(verify('sha256', message, key.publicKey, pre)).toBe(true);
    }
  });

  it('signs with RSA_2048 keys using PKCS#1 v1.5 and PSS', async () => {
    const key = await createKey('RSA_2048');
    const pss = { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    for (const type of ['RAW', 'DIGEST'] as const) {
      const input = type === 'RAW' ? message : digest;
      expect(verify('sha256', message, key.publicKey, await sign(key.keyId, input, 'RSASSA_PKCS1_V1_5_SHA_256', type))).toBe(true);
      expect(verify('sha256', message, pss, await sign(key.keyId, input, 'RSASSA_PSS_SHA_256', type))).toBe(true);
    }
  });

  it('resolves aliases by name and ARN and lists keys and aliases', async () => {
    const key = await createKey('ECC_NIST_P256');
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/latchkey-signing', TargetKeyId: key.keyId }));
    for (const KeyId of ['alias/latchkey-signing', 'arn:aws:kms:us-east-1:000000000000:alias/latchkey-signing']) {
      expect(verify('sha256', message, key.publicKey, await sign(KeyId, message, 'ECDSA_SHA_256'))).toBe(true);
    }
    expect(await nameOfError(kms.send(new CreateAliasCommand({ AliasName: 'alias/latchkey-signing', TargetKeyId: key.keyId })))).toBe('AlreadyExistsException');
    const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: key.keyId }));
    expect(Aliases?.map((a) => a.AliasName)).toEqual(['alias/latchkey-signing']);
    const { Keys, Truncated } = await kms.send(new ListKeysCommand({}));
    expect(Keys?.map((k) => k.KeyId)).toContain(key.keyId);
    expect(Truncated).toBe(false);
  });

  it('answers KMS errors with the right exception names', async () => {
    const ecc = await createKey('ECC_NIST_P256');
    expect(await nameOfError(kms.send(new GetPublicKeyCommand({ KeyId: '00000000-0000-0000-0000-000000000000' })))).toBe('NotFoundException');
    expect(await nameOfError(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })))).toBe('NotFoundException');
    expect(await nameOfError(sign(ecc.keyId, message, 'RSASSA_PSS_SHA_256'))).toBe('InvalidKeyUsageException');
    expect(await nameOfError(sign(ecc.keyId, Buffer.alloc(4097), 'ECDSA_SHA_256'))).toBe('ValidationException');
    expect(await nameOfError(sign(ecc.keyId, Buffer.alloc(31), 'ECDSA_SHA_256', 'DIGEST'))).toBe('ValidationException');
    expect(await nameOfError(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })))).toBe('UnsupportedOperationException');
    expect(await nameOfError(kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' })))).toBe('UnsupportedOperationException');
    const verifyCall = kms.send(new VerifyCommand({ KeyId: ecc.keyId, Message: message, Signature: Buffer.alloc(8), SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(await nameOfError(verifyCall)).toBe('UnknownOperationException');
  });

  it('honours AWS_ENDPOINT_URL_KMS', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_KMS;
    process.env.AWS_ENDPOINT_URL_KMS = server.url;
    try {
      const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await expect(client.send(new ListKeysCommand({}))).resolves.toMatchObject({ Truncated: false });
      client.destroy();
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_KMS;
      else process.env.AWS_ENDPOINT_URL_KMS = previous;
    }
  });

  it('keeps keys across a restart on the same data dir', async () => {
    const key = await createKey('ECC_NIST_P256');
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/survivor', TargetKeyId: key.keyId }));
    expect(statSync(join(dataDir, 'kms.json')).mode & 0o777).toBe(0o600);
    kms.destroy();
    await server.close();
    server = await startLocalAws({ dataDir, pregeneratedRsaKeys });
    kms = clientFor(server.url);
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/survivor' }));
    const before = key.publicKey.export({ type: 'spki', format: 'der' });
    expect(Buffer.from(PublicKey!).equals(before)).toBe(true);
    expect(verify('sha256', message, key.publicKey, await sign(key.keyId, message, 'ECDSA_SHA_256'))).toBe(true);
  });
});

describe('local KMS stand-in: data key pairs under a symmetric key (envelope signing)', () => {
  const context = { 'latchkey:purpose': 'token-signing', 'latchkey:key-generation': 'key_1' };

  async function wrappingKey() {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'wrapping' }));
    expect(KeyMetadata).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] });
    return KeyMetadata!;
  }

  async function generate(KeyId: string, KeyPairSpec: 'ECC_NIST_P256' | 'RSA_2048') {
    return kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId, KeyPairSpec, EncryptionContext: context }));
  }

  for (const [spec, algorithm, type] of [
    ['ECC_NIST_P256', 'ec', undefined],
    ['RSA_2048', 'rsa', 2048],
  ] as const) {
    it(`generates a ${spec} pair whose private half only Decrypt with the same context reveals`, async () => {
      const key = await wrappingKey();
      const pair = await generate(key.KeyId!, spec);
      expect(pair).toMatchObject({ KeyId: key.Arn, KeyPairSpec: spec });
      expect(pair).not.toHaveProperty('PrivateKeyPlaintext');
      const publicKey = createPublicKey({ key: Buffer.from(pair.PublicKey!), format: 'der', type: 'spki' });
      expect(publicKey.asymmetricKeyType).toBe(algorithm);
      if (type) expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(type);
      // The ciphertext is no PKCS#8 key: nothing of the private key is readable in it.
      expect(() => createPrivateKey({ key: Buffer.from(pair.PrivateKeyCiphertextBlob!), format: 'der', type: 'pkcs8' })).toThrow();

      const { Plaintext, KeyId } = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, KeyId: key.Arn, EncryptionContext: { ...context } }));
      expect(KeyId).toBe(key.Arn);
      const privateKey = createPrivateKey({ key: Buffer.from(Plaintext!), format: 'der', type: 'pkcs8' });
      expect(verify('sha256', Buffer.from('m'), publicKey, signLocally('sha256', Buffer.from('m'), privateKey))).toBe(true);
    });
  }

  it('refuses to decrypt under another, a partial or no encryption context, like InvalidCiphertextException', async () => {
    const key = await wrappingKey();
    const { PrivateKeyCiphertextBlob } = await generate(key.KeyId!, 'ECC_NIST_P256');
    const decrypt = (EncryptionContext?: Record<string, string>) => kms.send(new DecryptCommand({ CiphertextBlob: PrivateKeyCiphertextBlob, EncryptionContext }));
    expect(await nameOfError(decrypt({ ...context, 'latchkey:purpose': 'something-else' }))).toBe('InvalidCiphertextException');
    expect(await nameOfError(decrypt({ 'latchkey:purpose': 'token-signing' }))).toBe('InvalidCiphertextException');
    expect(await nameOfError(decrypt())).toBe('InvalidCiphertextException');
    // The order of the context's entries does not matter, as in KMS.
    const reordered = Object.fromEntries(Object.entries(context).reverse());
    await expect(decrypt(reordered)).resolves.toMatchObject({ KeyId: key.Arn });
  });

  it('refuses a tampered ciphertext, and a ciphertext named with another key', async () => {
    const key = await wrappingKey();
    const other = await wrappingKey();
    const { PrivateKeyCiphertextBlob } = await generate(key.KeyId!, 'ECC_NIST_P256');
    const tampered = Buffer.from(PrivateKeyCiphertextBlob!);
    tampered[tampered.length - 1]! ^= 1;
    expect(await nameOfError(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })))).toBe('InvalidCiphertextException');
    expect(await nameOfError(kms.send(new DecryptCommand({ CiphertextBlob: PrivateKeyCiphertextBlob, KeyId: other.KeyId, EncryptionContext: context })))).toBe(
      'IncorrectKeyException',
    );
  });

  it('keeps each kind of key to its own operations', async () => {
    const key = await wrappingKey();
    const ecc = await createKey('ECC_NIST_P256');
    expect(await nameOfError(generate(ecc.keyId, 'ECC_NIST_P256'))).toBe('InvalidKeyUsageException');
    expect(await nameOfError(sign(key.KeyId!, Buffer.from('m'), 'ECDSA_SHA_256'))).toBe('InvalidKeyUsageException');
    expect(await nameOfError(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })))).toBe('UnsupportedOperationException');
    expect(await nameOfError(generate(key.KeyId!, 'ECC_NIST_P384' as 'ECC_NIST_P256'))).toBe('UnsupportedOperationException');
  });
});

describe('local KMS stand-in without keys made ahead of time (as `npm start` runs it)', () => {
  it('generates every RSA_2048 key fresh: a CreateKey key and a data key pair differ, and neither is a test key', async () => {
    const freshDir = mkdtempSync(join(tmpdir(), 'latchkey-local-kms-fresh-'));
    const fresh = await startLocalAws({ dataDir: freshDir });
    const client = clientFor(fresh.url);
    try {
      const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
      const signingPublic = Buffer.from((await client.send(new GetPublicKeyCommand({ KeyId: signing.KeyId }))).PublicKey!);
      const wrapping = (await client.send(new CreateKeyCommand({}))).KeyMetadata!;
      const pair = await client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: wrapping.KeyId, KeyPairSpec: 'RSA_2048' }));
      const pairPublic = Buffer.from(pair.PublicKey!);
      const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }));
      const pairPrivate = createPrivateKey({ key: Buffer.from(Plaintext!), format: 'der', type: 'pkcs8' });

      expect(signingPublic.equals(pairPublic)).toBe(false);
      for (const der of [signingPublic, pairPublic]) {
        expect(createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(2048);
      }
      expect(createPublicKey(pairPrivate).export({ type: 'spki', format: 'der' }).equals(pairPublic)).toBe(true);
      const testKeys = new Set(PREGENERATED_RSA_KEYS.map((key) => pregeneratedRsaPublicKey(key).toString('base64')));
      expect(testKeys.has(signingPublic.toString('base64'))).toBe(false);
      expect(testKeys.has(pairPublic.toString('base64'))).toBe(false);
    } finally {
      client.destroy();
      await fresh.close();
      rmSync(freshDir, { recursive: true, force: true });
    }
  });
});
