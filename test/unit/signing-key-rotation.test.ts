import { describe, expect, it } from 'vitest';
import {
  publishedGenerations,
  kmsSigningKid,
  publishedKeys,
  retireCurrentKmsKey,
  retireCurrentSigningKey,
  rotateSigningKeys,
  signingKeyPair,
  type KeyGeneration,
  type KeyRing,
  type KmsRetirements,
  type RotationDeps,
  type SigningKeyState,
  type SigningKeyStore,
  type WrappedKeyPair,
} from '../../src/domain/signing-keys';

/** The table in memory, with the same conditional write on the ring's version. */
class MemorySigningKeyStore implements SigningKeyStore {
  ring: KeyRing | undefined;
  readonly generations = new Map<string, KeyGeneration>();
  /** Runs once, between a rotation's read and its ring write: another rotation getting there first. */
  beforeReplace: (() => Promise<void>) | undefined;

  async read(): Promise<SigningKeyState> {
    return { ...(this.ring ? { ring: this.ring } : {}), generations: [...this.generations.values()] };
  }
  async putGeneration(generation: KeyGeneration): Promise<void> {
    if (this.generations.has(generation.id)) throw new Error('generation exists');
    this.generations.set(generation.id, generation);
  }
  async replaceRing(ring: KeyRing, expectedVersion: number): Promise<boolean> {
    const interloper = this.beforeReplace;
    this.beforeReplace = undefined;
    await interloper?.();
    if ((this.ring?.version ?? 0) !== expectedVersion) return false;
    this.ring = ring;
    return true;
  }
  async deleteGeneration(id: string): Promise<void> {
    this.generations.delete(id);
  }
}

const HOUR = 3600;
const T0 = Date.parse('2026-03-01T00:00:00Z');

function setup(policy = { minIntervalSeconds: 600, retentionSeconds: 25 * HOUR }) {
  const store = new MemorySigningKeyStore();
  let now = T0;
  let counter = 0;
  const pair = (generationId: string, alg: 'ES256' | 'RS256'): WrappedKeyPair => ({
    alg,
    publicJwk: { kty: alg === 'ES256' ? 'EC' : 'RSA', kid: `${generationId}-${alg}`, alg, use: 'sig' },
    wrappedPrivateKey: Buffer.from(`wrapped ${generationId} ${alg}`).toString('base64'),
  });
  const deps: RotationDeps = {
    store,
    keyPairs: { create: async (id) => [pair(id, 'ES256'), pair(id, 'RS256')] },
    now: () => now,
    newId: () => `key_${++counter}`,
    policy,
  };
  return { store, deps, advance: (seconds: number) => (now += seconds * 1000), rotate: () => rotateSigningKeys(deps) };
}

describe('signing key rotation', () => {
  it('makes a current and a next key on an empty table, and publishes both with an ES256 and an RS256 key each', async () => {
    const { store, rotate } = setup();
    const result = await rotate();
    expect(result).toMatchObject({ rotated: true, ring: { version: 1, current: 'key_1', next: 'key_2', previous: [] } });
    const state = await store.read();
    expect(publishedKeys(state).map((key) => key.kid)).toEqual(['key_2-ES256', 'key_2-RS256', 'key_1-ES256', 'key_1-RS256']);
    expect(signingKeyPair(state, 'ES256')).toMatchObject({ generationId: 'key_1', keyPair: { alg: 'ES256' } });
    expect(signingKeyPair(state, 'RS256')).toMatchObject({ generationId: 'key_1', keyPair: { alg: 'RS256' } });
  });

  it('moves next to current, current to previous, and withdraws the old previous once its tokens have expired', async () => {
    const { store, rotate, advance } = setup();
    await rotate();
    advance(7 * 24 * HOUR);
    expect(await rotate()).toMatchObject({ rotated: true, ring: { version: 2, next: 'key_3', current: 'key_2', previous: [{ id: 'key_1' }] }, withdrawn: [] });
    advance(7 * 24 * HOUR);
    expect(await rotate()).toMatchObject({ rotated: true, ring: { next: 'key_4', current: 'key_3', previous: [{ id: 'key_2' }] }, withdrawn: ['key_1'] });
    const state = await store.read();
    expect(publishedGenerations(state).map((generation) => generation.id)).toEqual(['key_4', 'key_3', 'key_2']);
    // The withdrawn generation's record (and its wrapped private key) is gone from the table.
    expect([...store.generations.keys()].sort()).toEqual(['key_2', 'key_3', 'key_4']);
  });

  it('signs only with a key that was published as next by an earlier rotation', async () => {
    const { store, rotate, advance } = setup();
    await rotate();
    const publishedBefore = new Set<string>();
    for (let round = 0; round < 4; round++) {
      for (const key of publishedKeys(await store.read())) publishedBefore.add(key.kid);
      advance(HOUR);
      await rotate();
      const signing = signingKeyPair(await store.read(), 'ES256')!;
      expect(publishedBefore).toContain(signing.keyPair.publicJwk.kid);
    }
  });

  it('keeps a retired key published while tokens it signed may live, however soon the next rotations come', async () => {
    const { store, rotate, advance } = setup({ minIntervalSeconds: 0, retentionSeconds: 25 * HOUR });
    await rotate();
    await rotate();
    await rotate();
    const ids = publishedGenerations(await store.read()).map((generation) => generation.id);
    expect(ids).toEqual(['key_4', 'key_3', 'key_2', 'key_1']);
    advance(25 * HOUR);
    expect(await rotate()).toMatchObject({ rotated: true, withdrawn: ['key_2', 'key_1'] });
    expect(publishedGenerations(await store.read()).map((generation) => generation.id)).toEqual(['key_5', 'key_4', 'key_3']);
  });

  it('does nothing when asked again before the minimum interval has passed', async () => {
    const { store, rotate, advance } = setup();
    await rotate();
    advance(599);
    expect(await rotate()).toMatchObject({ rotated: false, reason: 'too-soon', ring: { version: 1 } });
    expect(store.generations.size).toBe(2);
    advance(1);
    expect(await rotate()).toMatchObject({ rotated: true, ring: { version: 2 } });
  });

  it('lets exactly one of two concurrent rotations take effect, and the other leaves no key behind', async () => {
    const { store, deps, rotate, advance } = setup();
    await rotate();
    advance(HOUR);
    store.beforeReplace = async () => {
      expect(await rotateSigningKeys(deps)).toMatchObject({ rotated: true, ring: { version: 2 } });
    };
    expect(await rotate()).toEqual({ rotated: false, reason: 'concurrent-rotation' });
    const state = await store.read();
    expect(state.ring).toMatchObject({ version: 2, current: 'key_2', next: 'key_4', previous: [{ id: 'key_1' }] });
    // key_3 was made by the rotation that lost; it was never published and is deleted.
    expect([...store.generations.keys()].sort()).toEqual(['key_1', 'key_2', 'key_4']);
  });

  it('lets exactly one of two concurrent first rotations create the ring', async () => {
    const { store, deps, rotate } = setup();
    store.beforeReplace = async () => {
      await rotateSigningKeys(deps);
    };
    expect(await rotate()).toEqual({ rotated: false, reason: 'concurrent-rotation' });
    expect(store.ring).toMatchObject({ version: 1, current: 'key_3', next: 'key_4' });
    expect([...store.generations.keys()].sort()).toEqual(['key_3', 'key_4']);
  });

  it('refuses a key-pair factory that does not make one pair per algorithm', async () => {
    const { deps } = setup();
    const broken = { ...deps, keyPairs: { create: async () => [] } };
    await expect(rotateSigningKeys(broken)).rejects.toThrow(TypeError);
  });

  it('publishes nothing and signs nothing before the first rotation', async () => {
    const { store } = setup();
    expect(publishedKeys(await store.read())).toEqual([]);
    expect(signingKeyPair(await store.read(), 'ES256')).toBeUndefined();
  });

  describe('retiring the current key', () => {
    it('takes the current key out of the JWKS and the signer at once, even right after a rotation: next signs, a fresh next is made', async () => {
      const { store, deps, rotate, advance } = setup();
      await rotate();
      advance(HOUR);
      await rotate();
      advance(10);
      expect(await rotate()).toMatchObject({ rotated: false, reason: 'too-soon' });
      const result = await retireCurrentSigningKey(deps);
      expect(result).toMatchObject({ rotated: true, retired: 'key_2', withdrawn: ['key_2'], ring: { version: 3, current: 'key_3', next: 'key_4', previous: [{ id: 'key_1' }] } });
      const state = await store.read();
      expect(publishedKeys(state).map((key) => key.kid)).toEqual(['key_4-ES256', 'key_4-RS256', 'key_3-ES256', 'key_3-RS256', 'key_1-ES256', 'key_1-RS256']);
      expect(signingKeyPair(state, 'ES256')).toMatchObject({ generationId: 'key_3' });
      expect(store.generations.has('key_2')).toBe(false);
      // Twice in a row retires the key that had just started signing.
      expect(await retireCurrentSigningKey(deps)).toMatchObject({ rotated: true, retired: 'key_3', ring: { current: 'key_4', next: 'key_5' } });
    });

    it('restarts the minimum interval: the scheduled rotation after a retirement waits for it', async () => {
      const { deps, rotate, advance } = setup();
      await rotate();
      advance(HOUR);
      await retireCurrentSigningKey(deps);
      advance(599);
      expect(await rotate()).toMatchObject({ rotated: false, reason: 'too-soon' });
    });

    it('does nothing on a table without keys, and leaves no key behind when a rotation wins the race', async () => {
      const { store, deps, rotate, advance } = setup();
      expect(await retireCurrentSigningKey(deps)).toEqual({ rotated: false, reason: 'no-signing-key' });
      expect(store.generations.size).toBe(0);
      await rotate();
      advance(HOUR);
      store.beforeReplace = async () => {
        await rotateSigningKeys(deps);
      };
      expect(await retireCurrentSigningKey(deps)).toEqual({ rotated: false, reason: 'concurrent-rotation' });
      expect([...store.generations.keys()].sort()).toEqual(['key_1', 'key_2', 'key_4']);
    });
  });

  describe('KMS mode: retiring the key that signs', () => {
    function kms(order: string[]) {
      let stored: KmsRetirements = { version: 0, kids: [] };
      let interloper: (() => void) | undefined;
      const store = {
        readRetirements: async () => stored,
        replaceRetirements: async (next: KmsRetirements, expected: number) => {
          interloper?.();
          interloper = undefined;
          if (stored.version !== expected) return false;
          stored = next;
          return true;
        },
      };
      return {
        retire: () => retireCurrentKmsKey({ store, signingOrder: async () => order }),
        retired: () => stored.kids,
        raceWith: (kids: string[]) => {
          interloper = () => (stored = { version: stored.version + 1, kids });
        },
      };
    }

    it('retires the active key, and the next published key signs; then the one after it', async () => {
      const t = kms(['active', 'standby-1', 'standby-2']);
      expect(await t.retire()).toEqual({ retired: true, kid: 'active', signing: 'standby-1', standby: ['standby-2'], version: 1 });
      expect(kmsSigningKid(['active', 'standby-1', 'standby-2'], t.retired())).toBe('standby-1');
      expect(await t.retire()).toMatchObject({ retired: true, kid: 'standby-1', signing: 'standby-2', version: 2 });
      expect(t.retired()).toEqual(['active', 'standby-1']);
    });

    it('never retires the last key that can sign', async () => {
      const t = kms(['active']);
      expect(await t.retire()).toEqual({ retired: false, reason: 'no-standby-key', signing: 'active' });
      expect(t.retired()).toEqual([]);
    });

    it('lets one of two retirements at once take effect', async () => {
      const t = kms(['active', 'standby']);
      t.raceWith(['active']);
      expect(await t.retire()).toEqual({ retired: false, reason: 'concurrent-rotation' });
      expect(t.retired()).toEqual(['active']);
    });
  });
});
