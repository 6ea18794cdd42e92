import { createPublicKey } from 'node:crypto';
import { LATCHKEY_RESOURCE_KEY } from '../builtin-resource';
import { MAX_TOKEN_TTL_SECONDS, MIN_TOKEN_TTL_SECONDS } from '../environments';
import { InvalidRequest, type FieldProblem } from '../errors';
import type { ResourceStore } from '../stores';
import { certificateThumbprint, parseRegisteredCertificate } from './certificates';
import { ASSERTION_ALGORITHMS, type ClientJwk, type OidcClientSettings } from './model';
import { localTargetsAllowed } from '../../config';
import { outboundUrlProblem } from '../outbound-policy';
import { checkRedirectUris } from './redirect-uris';

/**
 * OIDC client settings: defaults, merging of a change into the current settings,
 * and every rule a setting must keep. All problems of a request are reported at once, each under
 * the field it concerns, so a caller fixes them in one round.
 *
 * Rules beyond the redirect URIs (see `redirect-uris.ts`):
 * - `jwks`/`jwksUri` go with `private_key_jwt` only, which needs exactly one of them; JWKS keys are
 *   public signing keys (no private or symmetric members, `use` "sig", an algorithm Latchkey accepts,
 *   RSA at least 2048 bits); `jwksUri` follows the outbound policy (src/domain/outbound-policy.ts).
 * - `tlsClientCertificate` and `tokenBinding` go with `self_signed_tls_client_auth`, which needs
 *   one unexpired certificate.
 * - `resources` name existing resources of the environment, each once, never the management API.
 * - `backchannelLogoutUri`, where Latchkey posts logout tokens, follows the outbound policy.
 * - Lifetimes stay within bounds; the maximum refresh time is at least the refresh-token lifetime.
 * A change that switches the method away drops that method's settings, unless it sends them too.
 */

export const CLIENT_DEFAULTS = {
  redirectUris: [],
  clientType: 'web',
  thirdParty: false,
  authMethod: 'client_secret_basic',
  tokenBinding: false,
  pkce: 'allow',
  resources: [],
  idTokenClaims: [],
  promptValues: ['login', 'consent', 'none'],
  accessTokenTtlSeconds: 60 * 60,
  refreshTokenTtlSeconds: 14 * 24 * 3600,
  maxRefreshSeconds: 14 * 24 * 3600,
  consentRedirectUris: [],
  accessValiditySeconds: 30 * 24 * 3600,
  scopes: [],
  postLogoutRedirectUris: [],
  idTokenSignedResponseAlg: 'ES256',
} as const satisfies Omit<OidcClientSettings, 'name'>;

const YEAR_SECONDS = 365 * 24 * 3600;
const BOUNDS = {
  accessTokenTtlSeconds: [MIN_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS],
  refreshTokenTtlSeconds: [300, YEAR_SECONDS],
  maxRefreshSeconds: [300, YEAR_SECONDS],
  accessValiditySeconds: [3600, YEAR_SECONDS],
} as const;

/** Standard OIDC claims (OpenID Connect Core §5.1) an ID token may carry without being asked. */
export const ID_TOKEN_CLAIMS: ReadonlySet<string> = new Set([
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'email_verified',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
  'updated_at',
]);

/** Every setting an owner chooses; nothing else (IDs, secret, timestamps) is read from or written by a change. */
export const SETTING_FIELDS: readonly (keyof OidcClientSettings)[] = [
  'name',
  'description',
  'redirectUris',
  'clientType',
  'thirdParty',
  'authMethod',
  'jwks',
  'jwksUri',
  'tlsClientCertificate',
  'tokenBinding',
  'pkce',
  'resources',
  'idTokenClaims',
  'promptValues',
  'accessTokenTtlSeconds',
  'refreshTokenTtlSeconds',
  'maxRefreshSeconds',
  'consentRedirectUris',
  'accessValiditySeconds',
  'scopes',
  'postLogoutRedirectUris',
  'idTokenSignedResponseAlg',
  'tokenExchange',
  'requireDpop',
  'backchannelLogoutUri',
  'backchannelLogoutSessionRequired',
  'requirePar',
];

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const METHOD_SETTINGS = { private_key_jwt: ['jwks', 'jwksUri'], self_signed_tls_client_auth: ['tlsClientCertificate', 'tokenBinding'] } as const;

/** A create or update request: `null` clears an optional setting. */
export type OidcClientInput = { -readonly [K in keyof OidcClientSettings]?: OidcClientSettings[K] | null };

export interface ResolvedSettings extends OidcClientSettings {
  readonly tlsCertificateThumbprint?: string;
}

export interface SettingsDeps {
  readonly resources: ResourceStore;
  readonly now: () => number;
}

/** The settings after applying `input` to `current` (or to the defaults), checked; throws `InvalidRequest`. */
export async function resolveSettings(deps: SettingsDeps, environmentId: string, current: OidcClientSettings | undefined, input: OidcClientInput): Promise<ResolvedSettings> {
  const merged: Record<string, unknown> = { ...CLIENT_DEFAULTS };
  for (const field of SETTING_FIELDS) if (current?.[field] !== undefined) merged[field] = current[field];
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined || !SETTING_FIELDS.includes(field as keyof OidcClientSettings)) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  const problems: FieldProblem[] = [];
  // Settings of another method: dropped when only the method changed, refused when sent with it.
  for (const [method, fields] of Object.entries(METHOD_SETTINGS)) {
    if (merged.authMethod === method) continue;
    for (const field of fields) {
      const sent = input[field] !== undefined && input[field] !== null && !(field === 'tokenBinding' && input[field] === false);
      if (sent) problems.push({ path: field, message: `is used only with authMethod ${method}` });
      if (field === 'tokenBinding') merged[field] = false;
      else delete merged[field];
    }
  }
  const settings = merged as unknown as OidcClientSettings;
  if (typeof settings.name !== 'string' || !settings.name.trim()) problems.push({ path: 'name', message: 'is required' });

  problems.push(...checkRedirectUris('redirectUris', settings.redirectUris, settings.clientType));
  problems.push(...checkRedirectUris('consentRedirectUris', settings.consentRedirectUris, 'web'));
  problems.push(...checkRedirectUris('postLogoutRedirectUris', settings.postLogoutRedirectUris, settings.clientType));
  problems.push(...checkMethodSettings(settings));
  // Latchkey posts logout tokens there: the outbound policy applies, as to an application's logoutUrl.
  const { backchannelLogoutUri } = settings;
  const logoutUriProblem = backchannelLogoutUri ? outboundUrlProblem(backchannelLogoutUri, { allowLocalTargets: localTargetsAllowed() }) : undefined;
  if (backchannelLogoutUri && logoutUriProblem) problems.push({ path: 'backchannelLogoutUri', message: `"${backchannelLogoutUri.slice(0, 200)}" ${logoutUriProblem}` });
  let tlsCertificateThumbprint: string | undefined;
  if (settings.authMethod === 'self_signed_tls_client_auth' && settings.tlsClientCertificate) {
    const parsed = parseRegisteredCertificate(settings.tlsClientCertificate, deps.now());
    if ('problem' in parsed) problems.push({ path: 'tlsClientCertificate', message: parsed.problem });
    else tlsCertificateThumbprint = certificateThumbprint(parsed.certificate);
  }
  for (const [field, [min, max]] of Object.entries(BOUNDS)) {
    const value = merged[field] as number;
    if (!Number.isInteger(value) || value < min || value > max) problems.push({ path: field, message: `must be a whole number of seconds from ${min} to ${max}` });
  }
  if (settings.maxRefreshSeconds < settings.refreshTokenTtlSeconds) {
    problems.push({ path: 'maxRefreshSeconds', message: `must be at least refreshTokenTtlSeconds (${settings.refreshTokenTtlSeconds})` });
  }
  settings.idTokenClaims.forEach((claim, index) => {
    if (!ID_TOKEN_CLAIMS.has(claim))
      problems.push({ path: `idTokenClaims.${index}`, message: `"${claim}" is not a claim Latchkey can add to ID tokens (one of ${[...ID_TOKEN_CLAIMS].join(', ')})` });
  });
  settings.scopes.forEach((scope, index) => {
    if (!SCOPE_TOKEN.test(scope)) problems.push({ path: `scopes.${index}`, message: `"${scope}" is not a scope token (printable ASCII, no spaces, quotes or backslashes)` });
  });
  problems.push(...(await checkResources(deps, environmentId, settings)));

  if (problems.length > 0) {
    throw new InvalidRequest(`invalid client settings: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { fields: problems });
  }
  return {
    ...settings,
    idTokenClaims: [...new Set(settings.idTokenClaims)],
    promptValues: [...new Set(settings.promptValues)],
    scopes: [...new Set(settings.scopes)],
    ...(tlsCertificateThumbprint ? { tlsCertificateThumbprint } : {}),
  };
}

function checkMethodSettings(settings: OidcClientSettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (settings.authMethod === 'private_key_jwt') {
    if (!settings.jwks === !settings.jwksUri) {
      problems.push({ path: settings.jwks ? 'jwksUri' : 'jwks', message: 'private_key_jwt needs exactly one of jwks and jwksUri' });
    }
    settings.jwks?.keys.forEach((key, index) => {
      const problem = jwkProblem(key);
      if (problem) problems.push({ path: `jwks.keys.${index}`, message: problem });
    });
    if (settings.jwks && settings.jwks.keys.length === 0) problems.push({ path: 'jwks.keys', message: 'must hold at least one key' });
    // Latchkey fetches it: the outbound policy applies (no private or local targets outside the local runtime).
    const { jwksUri } = settings;
    const uriProblem = jwksUri ? outboundUrlProblem(jwksUri, { allowLocalTargets: localTargetsAllowed() }) : undefined;
    if (jwksUri && uriProblem) problems.push({ path: 'jwksUri', message: `"${jwksUri.slice(0, 200)}" ${uriProblem}` });
  }
  if (settings.authMethod === 'self_signed_tls_client_auth' && !settings.tlsClientCertificate) {
    problems.push({ path: 'tlsClientCertificate', message: 'self_signed_tls_client_auth needs the PEM certificate the client presents' });
  }
  return problems;
}

function jwkProblem(key: ClientJwk): string | undefined {
  const leaked = PRIVATE_JWK_MEMBERS.filter((member) => member in key);
  if (leaked.length > 0) return `holds private or symmetric key material (${leaked.join(', ')}); register public keys only`;
  if (!['RSA', 'EC', 'OKP'].includes(key.kty)) return `kty "${key.kty}" is not RSA, EC or OKP`;
  if (key.use !== undefined && key.use !== 'sig') return `use must be "sig", not "${String(key.use)}"`;
  if (key.alg !== undefined && !ASSERTION_ALGORITHMS.includes(key.alg as never)) return `alg "${String(key.alg)}" is not one of ${ASSERTION_ALGORITHMS.join(', ')}`;
  try {
    const publicKey = createPublicKey({ key: key as never, format: 'jwk' });
    const bits = publicKey.asymmetricKeyDetails?.modulusLength;
    if (key.kty === 'RSA' && (bits ?? 0) < 2048) return `RSA keys must have at least 2048 bits, not ${bits}`;
  } catch {
    return 'is not a valid public JWK';
  }
  return undefined;
}

async function checkResources(deps: SettingsDeps, environmentId: string, settings: OidcClientSettings): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const keys = settings.resources.map((entry) => entry.resource);
  const found = new Set(
    (
      await deps.resources.getResources(
        environmentId,
        keys.filter((key) => key !== LATCHKEY_RESOURCE_KEY),
      )
    ).map((r) => r.key),
  );
  const seen = new Set<string>();
  settings.resources.forEach((entry, index) => {
    const path = `resources.${index}`;
    if (entry.resource === LATCHKEY_RESOURCE_KEY) problems.push({ path: `${path}.resource`, message: 'the management API (latchkey) cannot be a client resource' });
    else if (!found.has(entry.resource)) problems.push({ path: `${path}.resource`, message: `resource "${entry.resource}" does not exist in this environment` });
    else if (seen.has(entry.resource)) problems.push({ path: `${path}.resource`, message: `resource "${entry.resource}" is listed twice` });
    seen.add(entry.resource);
    const ttl = entry.accessTokenTtlSeconds;
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < MIN_TOKEN_TTL_SECONDS || ttl > MAX_TOKEN_TTL_SECONDS)) {
      problems.push({ path: `${path}.accessTokenTtlSeconds`, message: `must be a whole number of seconds from ${MIN_TOKEN_TTL_SECONDS} to ${MAX_TOKEN_TTL_SECONDS}` });
    }
  });
  return problems;
}
