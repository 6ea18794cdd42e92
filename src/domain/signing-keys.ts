import type { PublicJwk } from './primitives';

/**
 * The life of the token signing keys in envelope mode: generations of key pairs move
 * next → current → previous → withdrawn, one step per rotation.
 *
 * Rules this module enforces:
 * - A generation is published (in the JWKS) as `next` for at least one rotation interval before it
 *   signs, so every verifier's cached JWKS knows a key before the first token it signs. The only
 *   exception is the very first rotation on an empty table: there are no tokens to verify yet.
 * - A generation that stops signing stays published as `previous` until every token it may have
 *   signed has expired (`retentionSeconds`: the longest token lifetime plus the signers' staleness),
 *   however soon the next rotations come; only then is it withdrawn and its record deleted.
 * - Rotations come at least `minIntervalSeconds` apart (a rotation earlier than that does nothing),
 *   so a `next` key outlives the JWKS cache and the signers' key-pointer cache before it signs.
 * - Retiring the current key (a suspected compromise) is the one step that ignores the interval:
 *   the current generation leaves the ring at once (not even `previous`: tokens it signed must stop
 *   verifying), `next` signs, and a fresh `next` is made. Its record is deleted once the ring no
 *   longer names it. Verifiers that cached the JWKS before `next` was published learn it on the
 *   first token with its `kid` (an unknown `kid` makes them fetch the JWKS again).
 * - The key ring is replaced by one conditional write on its version: of two rotations that run at
 *   once, exactly one takes effect; the other removes the key pairs it made and reports so.
 * - New key pairs are stored before the ring names them; a withdrawn generation is deleted after the
 *   ring stops naming it. A reader of the ring therefore always finds the generations it names.
 */

export type SigningAlgorithm = 'ES256' | 'RS256';

/** Every generation holds one key pair per algorithm. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];

/** One key pair: the public half as a JWK, the private half only as ciphertext of the key-wrapping key. */
export interface WrappedKeyPair {
  readonly alg: SigningAlgorithm;
  readonly publicJwk: PublicJwk;
  /** Base64 of the KMS ciphertext of the PKCS#8 private key; never the key itself. */
  readonly wrappedPrivateKey: string;
}

export interface KeyGeneration {
  readonly id: string;
  /** Epoch seconds. */
  readonly createdAt: number;
  readonly keyPairs: readonly WrappedKeyPair[];
}

export interface RetiredGeneration {
  readonly id: string;
  /** Epoch seconds at which it stopped signing. */
  readonly retiredAt: number;
}

/** Which generation is which. `version` grows by one per rotation; 0 means "no ring yet". */
export interface KeyRing {
  readonly version: number;
  /** Epoch seconds of the rotation that wrote this ring. */
  readonly rotatedAt: number;
  readonly next: string;
  readonly current: string;
  /** Most recently retired first. */
  readonly previous: readonly RetiredGeneration[];
}

export interface SigningKeyState {
  readonly ring?: KeyRing;
  readonly generations: readonly KeyGeneration[];
}

export interface SigningKeyStore {
  /** The ring and the stored generations, in one strongly consistent read. */
  read(): Promise<SigningKeyState>;
  putGeneration(generation: KeyGeneration): Promise<void>;
  /** Writes `ring` if the stored ring still has `expectedVersion` (0: none yet); false when another writer won. */
  replaceRing(ring: KeyRing, expectedVersion: number): Promise<boolean>;
  deleteGeneration(id: string): Promise<void>;
}

/** Makes the key pairs of a new generation (one per algorithm), their private halves already wrapped. */
export interface KeyPairFactory {
  create(generationId: string): Promise<WrappedKeyPair[]>;
}

export interface RotationPolicy {
  readonly minIntervalSeconds: number;
  readonly retentionSeconds: number;
}

export interface RotationDeps {
  readonly store: SigningKeyStore;
  readonly keyPairs: KeyPairFactory;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly newId: () => string;
  readonly policy: RotationPolicy;
}

export type RotationResult =
  | { readonly rotated: true; readonly ring: KeyRing; readonly withdrawn: readonly string[]; readonly retired?: string }
  | { readonly rotated: false; readonly reason: 'too-soon' | 'concurrent-rotation' | 'no-signing-key'; readonly ring?: KeyRing };

export async function rotateSigningKeys(deps: RotationDeps): Promise<RotationResult> {
  const now = Math.floor(deps.now() / 1000);
  const { ring } = await deps.store.read();
  if (ring && now - ring.rotatedAt < deps.policy.minIntervalSeconds) return { rotated: false, reason: 'too-soon', ring };
  if (ring) return advanceRing(deps, ring, now, 'keep');

  // The very first rotation makes the key that signs at once and the one that follows it.
  const made = [await newGeneration(deps, now), await newGeneration(deps, now)];
  for (const generation of made) await deps.store.putGeneration(generation);
  return commitRing(deps, { version: 1, rotatedAt: now, current: made[0]!.id, next: made[1]!.id, previous: [] }, 0, made, []);
}

/**
 * Takes the current generation out of the ring at once, whenever the last rotation was: `next`
 * signs, a fresh generation becomes `next`, and the retired generation is withdrawn (no longer
 * published, its record deleted). `previous` generations stay as a rotation would keep them.
 */
export async function retireCurrentSigningKey(deps: RotationDeps): Promise<RotationResult> {
  const now = Math.floor(deps.now() / 1000);
  const { ring } = await deps.store.read();
  if (!ring) return { rotated: false, reason: 'no-signing-key' };
  const result = await advanceRing(deps, ring, now, 'withdraw');
  return result.rotated ? { ...result, retired: ring.current } : result;
}

/**
 * One step of the ring: `next` signs, a fresh generation becomes `next`, and the current generation
 * is kept as the newest `previous` (a rotation) or withdrawn at once (a retirement); `previous`
 * generations past the retention are withdrawn.
 */
async function advanceRing(deps: RotationDeps, ring: KeyRing, now: number, current: 'keep' | 'withdraw'): Promise<RotationResult> {
  const made = await newGeneration(deps, now);
  await deps.store.putGeneration(made);
  const retired = current === 'keep' ? [{ id: ring.current, retiredAt: now }, ...ring.previous] : ring.previous;
  const kept = retired.filter((generation) => now - generation.retiredAt < deps.policy.retentionSeconds);
  const withdrawn = [...(current === 'withdraw' ? [ring.current] : []), ...retired.filter((generation) => !kept.includes(generation)).map((generation) => generation.id)];
  return commitRing(deps, { version: ring.version + 1, rotatedAt: now, current: ring.next, next: made.id, previous: kept }, ring.version, [made], withdrawn);
}

/** Replaces the ring if it is still at `expectedVersion`, then deletes the withdrawn generations; else deletes the ones made for it. */
async function commitRing(deps: RotationDeps, next: KeyRing, expectedVersion: number, made: readonly KeyGeneration[], withdrawn: readonly string[]): Promise<RotationResult> {
  if (!(await deps.store.replaceRing(next, expectedVersion))) {
    for (const generation of made) await deps.store.deleteGeneration(generation.id);
    return { rotated: false, reason: 'concurrent-rotation' };
  }
  for (const id of withdrawn) await deps.store.deleteGeneration(id);
  return { rotated: true, ring: next, withdrawn };
}

async function newGeneration(deps: RotationDeps, now: number): Promise<KeyGeneration> {
  const id = deps.newId();
  const keyPairs = await deps.keyPairs.create(id);
  const algorithms = keyPairs.map((pair) => pair.alg).sort();
  if (algorithms.join() !== [...SIGNING_ALGORITHMS].sort().join()) {
    throw new TypeError(`a key generation needs one key pair per algorithm (${SIGNING_ALGORITHMS.join(', ')}), got ${algorithms.join(', ')}`);
  }
  return { id, createdAt: now, keyPairs };
}

/** The generations the JWKS publishes, in order: next, current, then previous ones. */
export function publishedGenerations(state: SigningKeyState): KeyGeneration[] {
  if (!state.ring) return [];
  const byId = new Map(state.generations.map((generation) => [generation.id, generation]));
  const ids = [state.ring.next, state.ring.current, ...state.ring.previous.map((generation) => generation.id)];
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function publishedKeys(state: SigningKeyState): PublicJwk[] {
  return publishedGenerations(state).flatMap((generation) => generation.keyPairs.map((pair) => pair.publicJwk));
}

/** The key pair that signs with `alg` now: the current generation's. */
export function signingKeyPair(state: SigningKeyState, alg: SigningAlgorithm): { generationId: string; keyPair: WrappedKeyPair } | undefined {
  const current = state.ring && state.generations.find((generation) => generation.id === state.ring!.current);
  const keyPair = current?.keyPairs.find((pair) => pair.alg === alg);
  return current && keyPair ? { generationId: current.id, keyPair } : undefined;
}

// ---- KMS mode ---------------------------------------------------------------------------------

/**
 * KMS mode: the token signing keys are KMS keys named by the stack (`signingKeys`, with
 * `activeSigningKey` among them); what is kept at run time is only which of them were retired after
 * a suspected compromise, by `kid`.
 *
 * Rules:
 * - A retired key is not published and never signs. The first published ES256 key that is not
 *   retired signs: the active key, then the other published keys in the stack's order (standby keys,
 *   published long before they sign).
 * - A retirement that would leave no ES256 key to sign with is refused: signing never stops.
 * - The list is replaced by one conditional write on its version: of two retirements at once,
 *   exactly one takes effect.
 */
export interface KmsRetirements {
  /** 0: nothing retired yet, no record. */
  readonly version: number;
  readonly kids: readonly string[];
}

export interface KmsRetirementStore {
  readRetirements(): Promise<KmsRetirements>;
  /** Writes `next` if the stored list still has `expectedVersion`; false when another writer won. */
  replaceRetirements(next: KmsRetirements, expectedVersion: number): Promise<boolean>;
}

export interface KmsRetirementDeps {
  readonly store: KmsRetirementStore;
  /** The `kid`s of the published ES256 keys in signing order: the active key first, then the others. */
  readonly signingOrder: () => Promise<readonly string[]>;
}

export type KmsRetirementResult =
  | { readonly retired: true; readonly kid: string; readonly signing: string; readonly standby: readonly string[]; readonly version: number }
  | { readonly retired: false; readonly reason: 'no-standby-key' | 'concurrent-rotation'; readonly signing?: string };

/** The key that signs ES256 now: the first in signing order that is not retired. */
export function kmsSigningKid(order: readonly string[], retired: readonly string[]): string | undefined {
  return order.find((kid) => !retired.includes(kid));
}

/** Retires the KMS key that signs now, if another published ES256 key is left to take over. */
export async function retireCurrentKmsKey(deps: KmsRetirementDeps): Promise<KmsRetirementResult> {
  const [order, current] = await Promise.all([deps.signingOrder(), deps.store.readRetirements()]);
  const live = order.filter((kid) => !current.kids.includes(kid));
  if (live.length < 2) return { retired: false, reason: 'no-standby-key', ...(live[0] ? { signing: live[0] } : {}) };
  const next: KmsRetirements = { version: current.version + 1, kids: [...current.kids, live[0]!] };
  if (!(await deps.store.replaceRetirements(next, current.version))) return { retired: false, reason: 'concurrent-rotation' };
  return { retired: true, kid: live[0]!, signing: live[1]!, standby: live.slice(2), version: next.version };
}
