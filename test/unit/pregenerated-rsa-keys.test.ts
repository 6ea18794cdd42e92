import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, GenerateDataKeyPairWithoutPlaintextCommand, GetPublicKeyCommand, KMSClient, ListKeysCommand, SignCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLocalAws, type LocalAws } from '../../local/aws/server';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { PREGENERATED_RSA_KEYS } from '../support/pregenerated-rsa-key-fixture';
import { pregeneratedRsaKey, pregeneratedRsaKeySource, pregeneratedRsaPublicKey } from '../support/pregenerated-rsa-keys';

const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'der' }).toString('base64');

/** Sources of their own, each with a cursor of its own, so this file leaves the tests' cursor alone. */
const cursors: symbol[] = [];
function tinySource(keys: readonly string[]) {
  const cursor = Symbol('test cursor');
  cursors.push(cursor);
  return { cursor, source: pregeneratedRsaKeySource(keys, cursor) };
}
afterEach(() => {
  for (const cursor of cursors.splice(0)) delete (globalThis as Record<symbol, unknown>)[cursor];
});

describe('pregenerated RSA key source', () => {
  it('hands out the keys in order, each once per process even from a module loaded afresh, then generates fresh ones', () => {
    const tiny = PREGENERATED_RSA_KEYS.slice(0, 2);
    const { cursor, source } = tinySource(tiny);
    // What a file of its own gets after `vi.resetModules()`: a new source over the same process-wide cursor.
    const reloaded = pregeneratedRsaKeySource(tiny, cursor);
    expect(pkcs8(source())).toBe(tiny[0]);
    expect(pkcs8(reloaded())).toBe(tiny[1]);
    const fresh = source();
    expect(fresh.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(PREGENERATED_RSA_KEYS).not.toContain(pkcs8(fresh));
  });

  it('commits 64 distinct RSA-2048 private keys, more than one test process draws', () => {
    expect(PREGENERATED_RSA_KEYS).toHaveLength(64);
    expect(new Set(PREGENERATED_RSA_KEYS).size).toBe(64);
    for (const key of PREGENERATED_RSA_KEYS) {
      const parsed = pregeneratedRsaKey(key);
      expect([parsed.asymmetricKeyType, parsed.asymmetricKeyDetails?.modulusLength]).toEqual(['rsa', 2048]);
    }
  });

  it('is used by tests only: no deployed or `npm start` code imports the keys or sets the option', () => {
    for (const folder of ['bin', 'functions', 'lib', 'local', 'src']) {
      for (const file of readdirSync(join(REPOSITORY_ROOT, folder), { recursive: true, encoding: 'utf8' })) {
        if (!/\.[cm]?[jt]s$/.test(file)) continue;
        const text = readFileSync(join(REPOSITORY_ROOT, folder, file), 'utf8');
        expect(text, `${folder}/${file}`).not.toMatch(/pregenerated-rsa-key|PREGENERATED_RSA_KEYS/);
      }
    }
    expect(readFileSync(join(REPOSITORY_ROOT, 'local', 'start.ts'), 'utf8')).not.toContain('pregeneratedRsaKeys');
  });
});

describe('local KMS stand-in with RSA keys made ahead of time', () => {
  let aws: LocalAws | undefined;
  let kms: KMSClient | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-pregenerated-'));
  afterEach(async () => {
    kms?.destroy();
    await aws?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  async function start(source: () => KeyObject) {
    aws = await startLocalAws({ dataDir, pregeneratedRsaKeys: source });
    // One attempt: the SDK would retry the refusal below, a 500.
    kms = new KMSClient({ region: 'us-east-1', endpoint: aws.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    return kms;
  }

  it('answers RSA_2048 keys from the source, in order, and keeps generating EC keys', async () => {
    const tiny = PREGENERATED_RSA_KEYS.slice(2, 4);
    const client = await start(tinySource(tiny).source);
    const wrapping = (await client.send(new CreateKeyCommand({}))).KeyMetadata!;
    await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const ecPair = await client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: wrapping.KeyId, KeyPairSpec: 'ECC_NIST_P256' }));
    expect(createPublicKey({ key: Buffer.from(ecPair.PublicKey!), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ec');

    const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: signing.KeyId }));
    expect(Buffer.from(PublicKey!).equals(pregeneratedRsaPublicKey(tiny[0]!))).toBe(true);
    const message = Buffer.from('header.payload');
    const { Signature } = await client.send(new SignCommand({ KeyId: signing.KeyId, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }));
    expect(verify('sha256', message, createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }), Buffer.from(Signature!))).toBe(true);

    const pair = await client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: wrapping.KeyId, KeyPairSpec: 'RSA_2048' }));
    expect(Buffer.from(pair.PublicKey!).equals(pregeneratedRsaPublicKey(tiny[1]!))).toBe(true);
    const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }));
    expect(Buffer.from(Plaintext!).toString('base64')).toBe(tiny[1]);
  });

  it('refuses a source that answers anything but an RSA-2048 private key, and stores no key', async () => {
    const client = await start(() => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const before = (await client.send(new ListKeysCommand({}))).Keys ?? [];
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await expect(client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).rejects.toMatchObject({ name: 'InternalFailure' });
      expect(String(logged.mock.calls[0]?.[1])).toContain('not an RSA-2048 private key');
    } finally {
      logged.mockRestore();
    }
    expect((await client.send(new ListKeysCommand({}))).Keys ?? []).toEqual(before);
  });
});
