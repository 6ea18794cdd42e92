import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { Conflict, InvalidClient, InvalidRequest, NotFound } from './errors';
import { isId, newId, parseClientId } from './ids';
import { requireCovers, requirePermission, type Caller } from './caller';
import { expirySeconds, hasExpired } from './reference-tokens';
import { verifyJwtAssertion, type AssertionReplayStore } from './clients/client-assertion';
import type { BeforeEvaluating } from './authentication-throttle';
import type { AuthenticatedServiceAccount } from './service-account-tokens';
import type { Clock } from './primitives';
import { requireServiceAccount } from './service-accounts';
import type { ServiceAccountStore } from './stores';

/**
 * Service-account keys: public keys a service account signs JWT assertions with, to get tokens by
 * the JWT bearer grant (RFC 7523 §2.1) or to authenticate as a client with `private_key_jwt`
 * (RFC 7523 §2.2), instead of sending a shared secret.
 *
 * Rules this module enforces:
 * - Adding, listing, reading and deleting need SERVICE_ACCOUNTS_EDIT / SERVICE_ACCOUNTS_READ in the
 *   caller's environment. Adding and deleting act as the account (a key gets its tokens), so they
 *   also need everything the account holds (`requireCovers`, as a secret reset does).
 * - A key is brought as a public JWK (EC P-256 or P-384, RSA of 2048 bits or more); a JWK with
 *   private members is refused, so a private key is never sent here to be kept. Without one,
 *   Latchkey makes a P-256 pair and answers the private half once, in a key file; it is never stored.
 * - The algorithms a key verifies follow from its type (ES256, ES384; RS256 or PS256 for RSA): never
 *   `none`, never HMAC, whatever the assertion's header says.
 * - At most MAX_KEYS_PER_ACCOUNT live keys per account; `expiresAt`, when given, lies in the future.
 *   From that moment the key verifies nothing, whether or not TTL has deleted its record yet. The
 *   limit is checked by a read before the write: creations sent at the same instant may each pass
 *   it, which costs a key more per concurrent request, never a key without its checks.
 * - An assertion authenticates the account only when its `kid` names a live key of the account
 *   named by `iss`, it passes the assertion rules of client-assertion.ts (signature, `iss` = `sub`
 *   = the client ID, `aud`, `exp` at most an hour ahead, single-use `jti`), and the account is
 *   enabled. Every refusal is `invalid_client`; the caller turns it into the grant's error, and the
 *   log gets the reason.
 * - Deleting the account deletes its keys (the store does both).
 */

export const MAX_KEYS_PER_ACCOUNT = 10;
/** RFC 7523 §2.1 leaves it to the server; an hour bounds what a stolen assertion is worth. */
export const MAX_KEY_ASSERTION_LIFETIME_SECONDS = 3600;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const CURVE_ALGORITHMS: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384' };
const RSA_ALGORITHMS = ['RS256', 'PS256'] as const;

/** The public members of a key, and nothing else. */
export type PublicKeyJwk = { readonly kty: 'EC'; readonly crv: string; readonly x: string; readonly y: string } | { readonly kty: 'RSA'; readonly n: string; readonly e: string };

/** A key as stored: the public JWK only. */
export interface StoredServiceAccountKey {
  readonly id: string;
  readonly environmentId: string;
  readonly serviceAccountId: string;
  readonly publicKeyJwk: PublicKeyJwk;
  /** Latchkey made the pair (and answered the private half once). */
  readonly generated: boolean;
  readonly createdAt: string;
  /** Epoch seconds (the table's TTL attribute); absent when the key does not expire. */
  readonly expiresAt?: number;
}

/** Where keys are kept: in the account's partition, under its ID. Records are answered expired or not. */
export interface ServiceAccountKeyStore {
  /** Fails with `Conflict` if the ID is taken. */
  createServiceAccountKey(key: StoredServiceAccountKey): Promise<void>;
  listServiceAccountKeys(environmentId: string, serviceAccountId: string): Promise<StoredServiceAccountKey[]>;
  getServiceAccountKey(environmentId: string, serviceAccountId: string, id: string): Promise<StoredServiceAccountKey | undefined>;
  deleteServiceAccountKey(environmentId: string, serviceAccountId: string, id: string): Promise<boolean>;
}

export interface ServiceAccountKeyDeps {
  readonly store: ServiceAccountStore;
  readonly keys: ServiceAccountKeyStore;
  readonly now: Clock;
}

/** What verifying a key assertion needs besides the account store. */
export interface KeyAssertionDeps {
  readonly keys: ServiceAccountKeyStore;
  readonly replay: AssertionReplayStore;
  readonly issuer: string;
  readonly now: Clock;
}

/** What callers see of a key. */
export interface ServiceAccountKey {
  readonly id: string;
  readonly serviceAccountId: string;
  readonly publicKeyJwk: PublicKeyJwk & { readonly kid: string };
  /** The JWS algorithms assertions signed with this key may use. */
  readonly algorithms: readonly string[];
  readonly generated: boolean;
  readonly createdAt: string;
  readonly expiresAt?: string;
}

/** The private key Latchkey made, answered once: what a client needs to sign assertions. */
export interface ServiceAccountKeyFile {
  readonly type: 'serviceaccount';
  readonly keyId: string;
  readonly clientId: string;
  readonly key: JWK;
}

export interface CreateServiceAccountKeyInput {
  /** A public JWK to register; without one, Latchkey makes a P-256 pair. */
  readonly publicKeyJwk?: Readonly<Record<string, unknown>>;
  /** ISO 8601 date-time in the future. */
  readonly expiresAt?: string;
}

export async function createServiceAccountKey(
  deps: ServiceAccountKeyDeps,
  caller: Caller,
  accountId: string,
  input: CreateServiceAccountKeyInput,
): Promise<ServiceAccountKey & { keyFile?: ServiceAccountKeyFile }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  const expiresAt = input.expiresAt === undefined ? undefined : expirySeconds(input.expiresAt, deps.now());
  const brought = input.publicKeyJwk === undefined ? undefined : await publicKeyOf(input.publicKeyJwk);
  const account = await requireServiceAccount(deps.store, caller, accountId);
  requireCovers(caller, account);
  const live = (await deps.keys.listServiceAccountKeys(caller.environmentId, accountId)).filter((key) => !hasExpired(key.expiresAt, deps.now()));
  if (live.length >= MAX_KEYS_PER_ACCOUNT) {
    throw new Conflict(`service account "${accountId}" already has ${MAX_KEYS_PER_ACCOUNT} keys, the most it may hold; delete one first`);
  }
  const id = newId('sak');
  const generated = brought ? undefined : await generatePair(id);
  const record: StoredServiceAccountKey = {
    id,
    environmentId: caller.environmentId,
    serviceAccountId: accountId,
    publicKeyJwk: brought ?? generated!.publicKeyJwk,
    generated: generated !== undefined,
    createdAt: new Date(deps.now()).toISOString(),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
  await deps.keys.createServiceAccountKey(record);
  return {
    ...publicView(record),
    ...(generated ? { keyFile: { type: 'serviceaccount', keyId: id, clientId: account.clientId, key: generated.privateKeyJwk } } : {}),
  };
}

export async function listServiceAccountKeys(deps: ServiceAccountKeyDeps, caller: Caller, accountId: string): Promise<{ items: ServiceAccountKey[] }> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  await requireServiceAccount(deps.store, caller, accountId);
  const keys = await deps.keys.listServiceAccountKeys(caller.environmentId, accountId);
  return { items: keys.filter((key) => !hasExpired(key.expiresAt, deps.now())).map(publicView) };
}

export async function getServiceAccountKey(deps: ServiceAccountKeyDeps, caller: Caller, accountId: string, id: string): Promise<ServiceAccountKey> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_READ');
  if (!isId(accountId, 'sa') || !isId(id, 'sak')) throw notFound(id);
  const key = await deps.keys.getServiceAccountKey(caller.environmentId, accountId, id);
  if (!key || hasExpired(key.expiresAt, deps.now())) throw notFound(id);
  return publicView(key);
}

/** The key stops verifying at once (the record is deleted). */
export async function deleteServiceAccountKey(deps: ServiceAccountKeyDeps, caller: Caller, accountId: string, id: string): Promise<void> {
  requirePermission(caller, 'SERVICE_ACCOUNTS_EDIT');
  if (!isId(accountId, 'sa') || !isId(id, 'sak')) throw notFound(id);
  const account = await deps.store.getServiceAccount(caller.environmentId, accountId);
  if (account) requireCovers(caller, account);
  if (!(await deps.keys.getServiceAccountKey(caller.environmentId, accountId, id))) throw notFound(id);
  // Found a moment ago: one gone now was deleted meanwhile, as asked (DELETE is idempotent).
  await deps.keys.deleteServiceAccountKey(caller.environmentId, accountId, id);
}

export interface KeyAuthentication {
  /** The failed-authentication throttle's check between reading the account and verifying the assertion. */
  readonly beforeEvaluating?: BeforeEvaluating;
}

/**
 * A service account authenticated by an assertion signed with one of its keys: `clientId` is the
 * client ID the request names (the assertion's `iss` must be it too).
 */
export async function authenticateServiceAccountWithKey(
  deps: KeyAssertionDeps & { readonly store: ServiceAccountStore },
  clientId: string,
  assertion: string,
  { beforeEvaluating }: KeyAuthentication = {},
): Promise<AuthenticatedServiceAccount> {
  const parsed = parseClientId(clientId);
  if (!parsed) throw new InvalidClient('client ID is not a Latchkey client ID');
  const header = keyIdOf(assertion);
  const kid = header && isId(header, 'sak') ? header : undefined;
  const [context, key] = await Promise.all([
    deps.store.loadTokenContext(parsed.environmentId, parsed.principalId, []),
    kid ? deps.keys.getServiceAccountKey(parsed.environmentId, parsed.principalId, kid) : undefined,
  ]);
  const { account, environment } = context;
  if (!account || !environment) throw new InvalidClient(`no service account ${parsed.principalId} in ${parsed.environmentId}`);
  await beforeEvaluating?.({
    lastFailedAt: account.lastFailedAuthenticationAt,
    mark: (atSeconds) => deps.store.markFailedAuthentication(environment.id, account.id, atSeconds),
  });
  if (!key || hasExpired(key.expiresAt, deps.now())) {
    const reason = !kid
      ? `assertion for ${account.id} names no key of Latchkey in its kid header`
      : key
        ? `key ${kid} of service account ${account.id} has expired`
        : `service account ${account.id} has no key ${kid}`;
    const methods = await registeredMethods(deps, account);
    // Without a live key the account is not registered for private_key_jwt: saying so is no secret.
    throw methods.includes('private_key_jwt') ? new InvalidClient(reason) : new InvalidClient(reason, false, registeredFor(methods));
  }
  const publicKey = key.publicKeyJwk;
  await verifyJwtAssertion(
    deps,
    {
      environmentId: account.environmentId,
      id: account.id,
      clientId: account.clientId,
      keys: async (header) => importJWK({ ...publicKey }, header.alg),
      algorithms: algorithmsOf(publicKey),
      maxLifetimeSeconds: MAX_KEY_ASSERTION_LIFETIME_SECONDS,
    },
    assertion,
  );
  if (account.disabled) throw new InvalidClient(`service account ${account.id} is disabled`);
  return { account, environment, resources: context.resources };
}

/**
 * The client-authentication methods a service account is registered for: its secret always (HTTP
 * Basic or form), and `private_key_jwt` while it has a key that has not expired.
 */
async function registeredMethods(deps: Pick<KeyAssertionDeps, 'keys' | 'now'>, account: { environmentId: string; id: string }): Promise<string[]> {
  const live = (await deps.keys.listServiceAccountKeys(account.environmentId, account.id)).some((key) => !hasExpired(key.expiresAt, deps.now()));
  return ['client_secret_basic', 'client_secret_post', ...(live ? ['private_key_jwt'] : [])];
}

/** The `error_description` of a method mismatch: the methods registered, no credential's detail. */
function registeredFor(methods: readonly string[]): string {
  return `the service account is registered for the ${methods.slice(0, -1).join(', ')} or ${methods.at(-1)} authentication method`;
}

/**
 * A service account presenting a method it cannot be registered for (only its `client_id`, read as
 * mutual TLS): refused, saying which methods it is registered for when the account exists.
 */
export async function refuseServiceAccountMethod(deps: Pick<KeyAssertionDeps, 'keys' | 'now'> & { readonly store: ServiceAccountStore }, clientId: string): Promise<never> {
  const parsed = parseClientId(clientId);
  if (!parsed) throw new InvalidClient('client ID is not a Latchkey client ID');
  const { account } = await deps.store.loadTokenContext(parsed.environmentId, parsed.principalId, []);
  const reason = `service account ${parsed.principalId} sent neither a secret nor an assertion`;
  if (!account) throw new InvalidClient(reason);
  throw new InvalidClient(reason, false, registeredFor(await registeredMethods(deps, account)));
}

export function publicView(key: StoredServiceAccountKey): ServiceAccountKey {
  return {
    id: key.id,
    serviceAccountId: key.serviceAccountId,
    publicKeyJwk: { ...key.publicKeyJwk, kid: key.id },
    algorithms: algorithmsOf(key.publicKeyJwk),
    generated: key.generated,
    createdAt: key.createdAt,
    ...(key.expiresAt !== undefined ? { expiresAt: new Date(key.expiresAt * 1000).toISOString() } : {}),
  };
}

function algorithmsOf(jwk: PublicKeyJwk): string[] {
  return jwk.kty === 'EC' ? [CURVE_ALGORITHMS[jwk.crv]!] : [...RSA_ALGORITHMS];
}

function keyIdOf(assertion: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(assertion);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** The public members of a brought JWK, once it is known to be a usable public key of an allowed type. */
async function publicKeyOf(jwk: Readonly<Record<string, unknown>>): Promise<PublicKeyJwk> {
  const refuse = (message: string) => new InvalidRequest(`publicKeyJwk ${message}`, { fields: [{ path: 'publicKeyJwk', message }] });
  const privateMembers = PRIVATE_MEMBERS.filter((member) => member in jwk);
  if (privateMembers.length > 0) {
    throw refuse(
      `must hold the public key only, never the private one: remove ${privateMembers.map((member) => `"${member}"`).join(', ')} (and keep the private key with the client)`,
    );
  }
  const text = (member: string) => {
    const value = jwk[member];
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,2048}$/.test(value)) throw refuse(`must have "${member}" as a base64url string`);
    return value;
  };
  let key: PublicKeyJwk;
  if (jwk.kty === 'EC') {
    const crv = jwk.crv;
    if (typeof crv !== 'string' || !Object.hasOwn(CURVE_ALGORITHMS, crv)) throw refuse('must be on the curve P-256 or P-384 ("crv")');
    key = { kty: 'EC', crv, x: text('x'), y: text('y') };
  } else if (jwk.kty === 'RSA') {
    key = { kty: 'RSA', n: text('n'), e: text('e') };
    const bits = modulusBits(key.n);
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw refuse(`must be an RSA key of ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits (this one has ${bits})`);
  } else {
    throw refuse('must be an EC (P-256, P-384) or RSA key ("kty")');
  }
  try {
    await importJWK({ ...key }, algorithmsOf(key)[0]);
  } catch {
    throw refuse('is not a valid public key (a point off the curve, or a malformed modulus or exponent)');
  }
  return key;
}

function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first += 1;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]!));
}

async function generatePair(keyId: string): Promise<{ publicKeyJwk: PublicKeyJwk; privateKeyJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const exported = await exportJWK(publicKey);
  const publicKeyJwk: PublicKeyJwk = { kty: 'EC', crv: exported.crv!, x: exported.x!, y: exported.y! };
  return { publicKeyJwk, privateKeyJwk: { ...(await exportJWK(privateKey)), kid: keyId, alg: 'ES256', use: 'sig' } };
}

function notFound(id: string): NotFound {
  return new NotFound(`service account key "${id}"`);
}
