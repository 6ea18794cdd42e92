import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createPrivateKey } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../../src/adapters/from-environment';
import { startTestRuntime } from '../support/local-runtime';

/**
 * Envelope signing on the local runtime: the token function signs in memory with a key pair whose
 * private half the table holds only as KMS ciphertext; the rotation function moves keys
 * next → current → previous. Signers here re-read the key ring for every token and rotations may
 * follow each other at once, so two rotations fit in one test.
 */
describe('envelope signing and key rotation over the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let lambda: LambdaClient;

  beforeAll(async () => {
    runtime = await startTestRuntime(undefined, { signingKeyRefreshSeconds: 0, keyRotationMinIntervalSeconds: 0 });
    lambda = new LambdaClient({});
  });
  afterAll(async () => {
    lambda?.destroy();
    await runtime?.stop();
  });

  const basic = () => `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`;

  async function clientCredentialsToken(): Promise<string> {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function publishedKeys(): Promise<Array<Record<string, string>>> {
    const response = await fetch(`${runtime.url}/.well-known/jwks.json`);
    return ((await response.json()) as { keys: Array<Record<string, string>> }).keys;
  }

  /** Verifies with the JWKS as published now: a fresh remote key set per call, fetched over HTTP. */
  const verifyNow = (token: string) => jwtVerify(token, createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`)), { issuer: runtime.url });

  async function rotate(
    request: Record<string, unknown> = {},
  ): Promise<{ rotated: boolean; reason?: string; version: number; next: string; current: string; previous: string[]; retired?: string; withdrawn?: string[] }> {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: runtime.functionArns['rotate-signing-keys'], Payload: new TextEncoder().encode(JSON.stringify(request)) }),
    );
    expect(response.FunctionError).toBeUndefined();
    return JSON.parse(new TextDecoder().decode(response.Payload));
  }

  it('publishes a next and a current generation, each an ES256 and an RS256 key named by its RFC 7638 thumbprint', async () => {
    const keys = await publishedKeys();
    expect(keys.map((key) => key.alg)).toEqual(['ES256', 'RS256', 'ES256', 'RS256']);
    for (const key of keys) {
      const members = key.kty === 'EC' ? { kty: 'EC', crv: key.crv, x: key.x, y: key.y } : { kty: 'RSA', n: key.n, e: key.e };
      expect(key.kid).toBe(await calculateJwkThumbprint(members));
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privateMember);
    }
  });

  it('signs client-credentials tokens with the current ES256 key, and RS256 tokens with the current RSA key', async () => {
    const keys = await publishedKeys();
    const { protectedHeader } = await verifyNow(await clientCredentialsToken());
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: keys[2]!.kid });
    const idToken = await signingKeys().sign({ iss: runtime.url, sub: 'someone' }, { alg: 'RS256' });
    expect((await verifyNow(idToken)).protectedHeader).toMatchObject({ alg: 'RS256', kid: keys[3]!.kid });
  });

  it('keeps every token verifiable before, during and after two rotations until it expires, and signs only with keys published earlier', async () => {
    const tokens: string[] = [];
    const publishedEarlier = new Set<string | undefined>();
    const remember = async () => {
      for (const key of await publishedKeys()) publishedEarlier.add(key.kid!);
    };

    await remember();
    tokens.push(await clientCredentialsToken());
    for (let round = 0; round < 2; round++) {
      await remember();
      // Tokens minted while the rotation runs: each is signed by the old current or the old next key.
      const [answer, ...during] = await Promise.all([rotate(), ...Array.from({ length: 6 }, clientCredentialsToken)]);
      expect(answer.rotated).toBe(true);
      tokens.push(...during, await clientCredentialsToken());
      for (const token of tokens) expect([...publishedEarlier]).toContain(decodeProtectedHeader(token).kid);
    }
    expect(new Set(tokens.map((token) => decodeProtectedHeader(token).kid)).size).toBe(3);

    for (const token of tokens) await expect(verifyNow(token)).resolves.toBeDefined();
    // ... until they expire.
    const { exp } = decodeJwt(tokens[0]!);
    await expect(jwtVerify(tokens[0]!, createRemoteJWKSet(new URL(`${runtime.url}/.well-known/jwks.json`)), { currentDate: new Date((exp! + 1) * 1000) })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
  });

  it('never loses or skips a key when two rotations run at once', async () => {
    const before = await rotate().then(() => publishedKeys());
    const answers = await Promise.all([rotate(), rotate()]);
    const effective = answers.filter((answer) => answer.rotated).length;
    expect(effective).toBeGreaterThanOrEqual(1);
    for (const answer of answers) if (!answer.rotated) expect(answer.reason).toBe('concurrent-rotation');
    const ring = answers.filter((answer) => answer.rotated).reduce((a, b) => (a.version > b.version ? a : b));
    // Every generation the ring names is published, next and current first.
    const after = await publishedKeys();
    expect(after).toHaveLength(2 * (2 + ring.previous.length));
    // The key that was next before is the current one now or (after two effective rotations) the previous one.
    const formerNext = before[0]!.kid;
    expect(after.findIndex((key) => key.kid === formerNext)).toBe(effective === 1 ? 2 : 4);
    await expect(verifyNow(await clientCredentialsToken())).resolves.toBeDefined();
  });

  it('leaves one audit event per rotation in the deployment chain, actor system, linked even when rotations ran at once', async () => {
    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const chain = async () =>
      (
        await table.send(
          new QueryCommand({
            TableName: runtime.resources.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': 'DEPLOYMENT', ':prefix': 'AUDIT#' },
            ConsistentRead: true,
          }),
        )
      ).Items ?? [];
    const before = await chain();
    const answer = await rotate();
    const after = await chain();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      tenantId: 'deployment',
      environmentId: 'deployment',
      actor: { type: 'system' },
      action: 'signing_keys.rotated',
      target: { type: 'signing_keys', id: answer.current },
      outcome: 'success',
    });
    // The concurrent rotations above each took a place of their own: no gap, each links to the one before.
    expect(after.map((event) => event.sequence)).toEqual(after.map((_, index) => index + 1));
    for (const [index, event] of after.entries()) if (index > 0) expect(event.previousDigest).toBe(after[index - 1]!.digest);
    expect(after.filter((event) => event.outcome === 'failure').every((event) => event.errorCode === 'concurrent-rotation')).toBe(true);
  });

  it('keeps private keys in the table only as ciphertext that KMS opens under the token-signing context alone', async () => {
    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { Items = [] } = await table.send(
      new QueryCommand({ TableName: runtime.resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'SIGNING#KEYS' } }),
    );
    const generation = Items.find((item) => String(item.sk).startsWith('GENERATION#'))!;
    const pair = (generation.keyPairs as Array<{ alg: string; wrappedPrivateKey: string }>).find((candidate) => candidate.alg === 'ES256')!;
    const blob = Buffer.from(pair.wrappedPrivateKey, 'base64');
    expect(() => createPrivateKey({ key: blob, format: 'der', type: 'pkcs8' })).toThrow();
    expect(JSON.stringify(Items)).not.toMatch(/PRIVATE KEY|"d":/);

    const kms = new KMSClient({});
    const context = { 'latchkey:purpose': 'token-signing', 'latchkey:key-generation': String(generation.id), 'latchkey:alg': 'ES256' };
    const decrypt = (EncryptionContext: Record<string, string>) => kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: runtime.keyWrappingKeyArn, EncryptionContext }));
    await expect(decrypt({ ...context, 'latchkey:purpose': 'something-else' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    // A ciphertext of one generation or algorithm does not open as another's.
    await expect(decrypt({ ...context, 'latchkey:alg': 'RS256' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(decrypt(context)).resolves.toMatchObject({ KeyId: runtime.keyWrappingKeyArn });
    kms.destroy();
  });

  describe('retiring the current key (a suspected compromise)', () => {
    const introspect = async (token: string) => {
      const response = await fetch(`${runtime.url}/oauth/v2/introspect`, {
        method: 'POST',
        headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { active: boolean };
    };
    const management = (token: string) => fetch(`${runtime.url}/v1/service-accounts`, { headers: { authorization: `Bearer ${token}` } });

    it('takes the current key out of the JWKS and refuses its tokens at introspection and the management API, while the next key signs', async () => {
      const signedBefore = await clientCredentialsToken();
      const retiredKid = decodeProtectedHeader(signedBefore).kid;
      expect(await introspect(signedBefore)).toMatchObject({ active: true });
      expect((await management(signedBefore)).status).toBe(200);
      const keysBefore = await publishedKeys();
      const nextKid = keysBefore[0]!.kid;

      // Right after a rotation, when a second plain rotation would do nothing under the minimum interval.
      const answer = await rotate({ retireCurrent: true });
      expect(answer).toMatchObject({ rotated: true, retired: expect.any(String) });
      expect(answer.withdrawn).toContain(answer.retired);

      const keysAfter = await publishedKeys();
      expect(keysAfter.map((key) => key.kid)).not.toContain(retiredKid);
      expect(keysAfter.map((key) => key.kid)).toContain(nextKid);
      expect(keysAfter).toHaveLength(keysBefore.length);
      expect(await introspect(signedBefore)).toEqual({ active: false });
      const refused = await management(signedBefore);
      expect(refused.status).toBe(401);
      await expect(verifyNow(signedBefore)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });

      const signedAfter = await clientCredentialsToken();
      expect(decodeProtectedHeader(signedAfter).kid).toBe(nextKid);
      await expect(verifyNow(signedAfter)).resolves.toBeDefined();
      expect(await introspect(signedAfter)).toMatchObject({ active: true });
      expect((await management(signedAfter)).status).toBe(200);
    });

    it('refuses a retirement request that is not exactly retireCurrent: true, changing nothing', async () => {
      const before = await publishedKeys();
      const response = await lambda.send(
        new InvokeCommand({ FunctionName: runtime.functionArns['rotate-signing-keys'], Payload: new TextEncoder().encode('{"retireCurrent":"yes"}') }),
      );
      expect(response.FunctionError).toBeDefined();
      expect(new TextDecoder().decode(response.Payload)).toContain('retireCurrent must be true or absent');
      expect(await publishedKeys()).toEqual(before);
    });
  });
});
