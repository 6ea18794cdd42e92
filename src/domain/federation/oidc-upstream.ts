import { createHash, randomUUID } from 'node:crypto';
import { errors as joseErrors, importJWK, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../clients/client-assertion';
import type { ConnectionSecretVault, IdpConnection } from '../idp-connections';
import { upstreamCallbackUri } from '../idp-connections';
import type { UpstreamLeg } from '../login/model';
import { InvalidRequest } from '../errors';
import type { BrowserState } from '../login/outcome';
import {
  completeUpstreamLogin,
  UpstreamFailure,
  type UpstreamCompletion,
  type UpstreamDeps,
  type UpstreamIdentity,
  type UpstreamProtocol,
  type UpstreamStart,
} from '../login/upstream';
import type { Clock, SecretHasher } from '../primitives';
import type { OidcConnectionSettings } from './oidc-settings';
import { sealUpstreamToken } from './seal';

/**
 * Latchkey as the relying party of an upstream OpenID provider: the authorization-code flow with
 * PKCE, `state` and `nonce` (OpenID Connect Core §3.1, RFC 7636, RFC 9700 §2.1).
 *
 * Rules, in the order they are checked:
 * 1. The discovery document (OpenID Connect Discovery §4) is read through the outbound policy; its
 *    `issuer` is the connection's, exactly (§4.3), and it names the authorization, token and JWKS
 *    endpoints.
 * 2. The PKCE verifier and the nonce are derived from the request's `state` with Latchkey's keyed
 *    hash: nothing of them is stored, and neither can be computed from the state alone.
 * 3. At the callback (the engine has matched the state to the request, its browser and the
 *    connection): an `iss` parameter must be the connection's issuer, and must be present when the
 *    provider advertises `authorization_response_iss_parameter_supported` (RFC 9207, mix-up
 *    defence); an `error` ends the login (`access_denied`); a `code` is required.
 * 4. The code is redeemed at the token endpoint with the verifier and the redirect URI, the client
 *    authenticating by `client_secret_basic` or `private_key_jwt`.
 * 5. The ID token is verified (§3.1.3.7): signature by a key of the provider's JWKS (asymmetric
 *    algorithms only), `iss`, `aud` holding the client ID, `exp` and `iat` with 30 s of tolerance,
 *    `nonce` equal to the derived one (ID token substitution), `azp` equal to the client ID when
 *    present or when there are several audiences.
 * 6. `sub`, and `email`, `email_verified`, `name` (or the claims `claimMapping` names), become the
 *    upstream identity; the ID token is sealed for the upstream logout's `id_token_hint`.
 * Every failure is an `UpstreamFailure` whose code names the rule; its detail never holds a token.
 */

export interface OidcDiscovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
  readonly authorization_response_iss_parameter_supported?: boolean;
}

/** HTTP to upstream providers, under the outbound policy; failures throw with detail for the log. */
export interface UpstreamHttp {
  getJson(url: string): Promise<unknown>;
  postForm(url: string, form: URLSearchParams, headers: Readonly<Record<string, string>>): Promise<{ status: number; body: unknown }>;
}

export interface OidcUpstreamDeps {
  readonly http: UpstreamHttp;
  readonly remoteJwks: (uri: string) => JWTVerifyGetKey;
  readonly connectionSecrets: ConnectionSecretVault;
  readonly hasher: SecretHasher;
  readonly now: Clock;
  /** Latchkey's issuer: the redirect URI is under it. */
  readonly issuer: string;
}

/** The JWS algorithms accepted on an upstream provider's JWTs (ID tokens, logout tokens): asymmetric only. */
export const UPSTREAM_JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_SECONDS = 600;

/** The OIDC upstream protocol, with its discovery cache (per container). */
export class OidcUpstream implements UpstreamProtocol {
  private readonly discovered = new Map<string, { document: OidcDiscovery; until: number }>();

  constructor(private readonly deps: OidcUpstreamDeps) {}

  async begin(connection: IdpConnection, start: UpstreamStart): Promise<string> {
    const settings = settingsOf(connection);
    const discovery = await this.discover(settings.issuer);
    const { verifier, nonce } = await this.derived(start.state);
    const url = new URL(discovery.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', settings.clientId);
    url.searchParams.set('redirect_uri', upstreamCallbackUri(this.deps.issuer));
    url.searchParams.set('scope', settings.scopes);
    url.searchParams.set('state', start.state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    if (start.loginHint) url.searchParams.set('login_hint', start.loginHint);
    return url.href;
  }

  /** Rules 3 to 6, for the engine's `completeUpstreamLogin`. */
  async verify(connection: IdpConnection, leg: UpstreamLeg, callback: URLSearchParams, state: string): Promise<UpstreamIdentity> {
    const settings = settingsOf(connection);
    if (leg.issuer !== settings.issuer) throw new UpstreamFailure('issuer_changed', 'the connection names another issuer than when the login started');
    const discovery = await this.discover(settings.issuer);
    const iss = callback.get('iss');
    if (iss !== null && iss !== settings.issuer) throw new UpstreamFailure('issuer_mismatch', `the authorization response names issuer ${iss.slice(0, 200)}`);
    if (iss === null && discovery.authorization_response_iss_parameter_supported === true) {
      throw new UpstreamFailure('issuer_missing', 'the provider promises the iss parameter, and the authorization response has none');
    }
    const error = callback.get('error');
    if (error !== null) throw new UpstreamFailure(`upstream_${/^[a-z_]{1,40}$/.test(error) ? error : 'error'}`, `the provider answered error ${error.slice(0, 100)}`);
    const code = callback.get('code');
    if (!code) throw new UpstreamFailure('code_missing', 'the authorization response has no code');

    const { verifier, nonce } = await this.derived(state);
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: upstreamCallbackUri(this.deps.issuer), code_verifier: verifier });
    const headers: Record<string, string> = { accept: 'application/json' };
    const secret = await this.deps.connectionSecrets.read(settings.secret);
    if (settings.clientAuthentication === 'private_key_jwt') {
      form.set('client_id', settings.clientId);
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      try {
        form.set('client_assertion', await this.clientAssertion(settings, discovery, secret));
      } catch (cause) {
        throw new UpstreamFailure('client_key_unusable', `the connection's private key cannot sign a client assertion: ${(cause as Error).name}`, 'access_denied', { cause });
      }
    } else {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(settings.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    }
    let answer: { status: number; body: unknown };
    try {
      answer = await this.deps.http.postForm(discovery.token_endpoint, form, headers);
    } catch (cause) {
      throw new UpstreamFailure('token_endpoint_unreachable', `the token endpoint could not be reached: ${(cause as Error).message}`, 'temporarily_unavailable', { cause });
    }
    const body = answer.body as { id_token?: unknown; error?: unknown } | undefined;
    if (answer.status !== 200 || typeof body?.id_token !== 'string') {
      throw new UpstreamFailure(
        'token_refused',
        `the token endpoint answered ${answer.status}${typeof body?.error === 'string' ? ` (${body.error.slice(0, 60)})` : ''} without an ID token`,
      );
    }
    const claims = await this.idTokenClaims(body.id_token, settings, discovery, nonce);
    return this.identity(connection, settings, claims, body.id_token);
  }

  /** The provider's end-session endpoint, if it has one (RP-Initiated Logout 1.0). */
  async endSessionEndpoint(connection: IdpConnection): Promise<string | undefined> {
    return (await this.discover(settingsOf(connection).issuer)).end_session_endpoint;
  }

  /** The provider's key set, for back-channel logout tokens. */
  async keys(connection: IdpConnection): Promise<JWTVerifyGetKey> {
    return this.deps.remoteJwks((await this.discover(settingsOf(connection).issuer)).jwks_uri);
  }

  /** Rule 1, cached for ten minutes per container. */
  async discover(issuer: string): Promise<OidcDiscovery> {
    const cached = this.discovered.get(issuer);
    if (cached && cached.until > this.deps.now()) return cached.document;
    let document: Partial<OidcDiscovery> | undefined;
    try {
      document = (await this.deps.http.getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as Partial<OidcDiscovery>;
    } catch (cause) {
      throw new UpstreamFailure('discovery_unreachable', `the discovery document of ${issuer} could not be read: ${(cause as Error).message}`, 'temporarily_unavailable', {
        cause,
      });
    }
    const urls = [document?.authorization_endpoint, document?.token_endpoint, document?.jwks_uri];
    if (document?.issuer !== issuer || urls.some((url) => typeof url !== 'string' || !URL.canParse(url))) {
      throw new UpstreamFailure('discovery_invalid', `the discovery document of ${issuer} names another issuer or lacks an endpoint`, 'temporarily_unavailable');
    }
    const valid = document as OidcDiscovery;
    if (this.discovered.size >= 200) this.discovered.clear();
    this.discovered.set(issuer, { document: valid, until: this.deps.now() + DISCOVERY_SECONDS * 1000 });
    return valid;
  }

  /** Rule 2: 43 characters of base64url each (a valid PKCE verifier), keyed by Latchkey's pepper. */
  private async derived(state: string): Promise<{ verifier: string; nonce: string }> {
    const [verifier, nonce] = await Promise.all([this.deps.hasher.hash(`upstream-pkce:${state}`), this.deps.hasher.hash(`upstream-nonce:${state}`)]);
    return { verifier, nonce };
  }

  private async clientAssertion(settings: OidcConnectionSettings, discovery: OidcDiscovery, secret: string): Promise<string> {
    const jwk = JSON.parse(secret) as { alg?: string; kty: string; crv?: string; kid?: string };
    const alg = jwk.alg ?? (jwk.kty === 'EC' ? ({ 'P-384': 'ES384', 'P-521': 'ES512' }[jwk.crv ?? ''] ?? 'ES256') : 'RS256');
    const key = await importJWK(jwk, alg);
    const now = Math.floor(this.deps.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg, ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .setIssuer(settings.clientId)
      .setSubject(settings.clientId)
      .setAudience(discovery.token_endpoint)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key);
  }

  /** Rule 5. */
  private async idTokenClaims(idToken: string, settings: OidcConnectionSettings, discovery: OidcDiscovery, nonce: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.deps.remoteJwks(discovery.jwks_uri), {
        issuer: settings.issuer,
        audience: settings.clientId,
        algorithms: UPSTREAM_JWT_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.deps.now()),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (cause) {
      const reason = cause instanceof joseErrors.JOSEError ? cause.code : 'ERR_UNKNOWN';
      throw new UpstreamFailure('id_token_invalid', `the ID token was refused (${reason}): ${(cause as Error).message}`, 'access_denied', { cause });
    }
    if (payload.nonce !== nonce) throw new UpstreamFailure('nonce_mismatch', 'the ID token carries another nonce than this login sent');
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if ((payload.azp !== undefined || audiences.length > 1) && payload.azp !== settings.clientId) {
      throw new UpstreamFailure('azp_mismatch', 'the ID token is authorized for another party');
    }
    return payload;
  }

  /** Rule 6. */
  private async identity(connection: IdpConnection, settings: OidcConnectionSettings, claims: JWTPayload, idToken: string): Promise<UpstreamIdentity> {
    const mapping = settings.claimMapping ?? {};
    const email = claims[mapping.email ?? 'email'];
    const verified = claims[mapping.email_verified ?? 'email_verified'];
    const name = claims[mapping.name ?? 'name'];
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string').slice(0, 10) : undefined;
    return {
      subject: String(claims.sub),
      ...(typeof email === 'string' ? { email } : {}),
      ...(verified === true || verified === 'true' ? { emailVerified: true } : {}),
      ...(typeof name === 'string' ? { name } : {}),
      ...(amr?.length ? { amr } : {}),
      upstreamSession: {
        connectionId: connection.id,
        ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
        sealedIdToken: await sealUpstreamToken(this.deps.hasher, idToken),
      },
    };
  }
}

function settingsOf(connection: IdpConnection): OidcConnectionSettings {
  if (connection.type !== 'oidc' || !connection.oidc) throw new UpstreamFailure('connection_invalid', `IDP connection ${connection.id} has no OpenID Connect settings`);
  return connection.oidc;
}

/**
 * The callback of upstream OpenID providers (`/oauth/v2/idp/callback`): the engine finds the request
 * by its state and checks the browser and the connection, the protocol checks the answer.
 */
export async function completeOidcLogin(deps: UpstreamDeps & { readonly oidc: OidcUpstream }, params: URLSearchParams, browser: BrowserState): Promise<UpstreamCompletion> {
  for (const name of ['state', 'code', 'iss', 'error']) {
    if (params.getAll(name).length > 1) throw new InvalidRequest(`parameter "${name}" must not be repeated`);
  }
  const state = params.get('state') ?? undefined;
  return completeUpstreamLogin(deps, {
    type: 'oidc',
    state,
    browser,
    verify: (connection, leg) => deps.oidc.verify(connection, leg, params, state ?? ''),
  });
}
