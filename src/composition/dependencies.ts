import type { PushedRequestDeps } from '../domain/authorization/pushed-requests';
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import { postLogoutToken } from '../adapters/back-channel-logout';
import {
  JWKS_MAX_AGE_SECONDS,
  applicationStore,
  auditLog,
  authorizationStore,
  canaryCredentials,
  clientStore,
  clock,
  delegationReads,
  connectionSecretVault,
  samlMetadataFetcher,
  endUserStore,
  failedAuthenticationCounters,
  idpConnectionStore,
  issuer,
  pepperHasher,
  samlKeys,
  serviceAccountKeyStore,
  kmsKeyRetirement,
  signingKeyRotation,
  signingKeys,
  store,
  tokenStore,
  upstreamHttp,
  webhookCaller,
  webhookVault,
} from '../adapters/from-environment';
import { remoteJwks } from '../adapters/remote-jwks';
import type { ApplicationDeps } from '../domain/applications';
import type { AuditDeps, AuditReadDeps } from '../domain/audit';
import { auditRetentionDays } from '../config';
import type { ThrottleDeps } from '../domain/authentication-throttle';
import type { GrantDeps } from '../domain/authorization/deps';
import type { EndSessionDeps } from '../domain/authorization/end-session';
import type { UserInfoDeps } from '../domain/authorization/userinfo';
import type { ClientRegistryDeps, SamlRegistryDeps } from '../domain/clients/registry';
import type { ClientTokenDeps } from '../domain/clients/tokens';
import type { DelegatedTokenDeps } from '../domain/delegated-tokens';
import type { EnrichmentDeps } from '../domain/enrichment';
import type { EndUserLifecycleDeps } from '../domain/end-user-lifecycle';
import type { AuthorizeDeps } from '../domain/login/authorize';
import type { InteractionDeps } from '../domain/login/deps';
import type { UpstreamDeps, UpstreamProtocols } from '../domain/login/upstream';
import { OidcUpstream } from '../domain/federation/oidc-upstream';
import { type AssertionConsumerDeps, SamlUpstream, type ServiceProviderMetadataDeps } from '../domain/federation/saml/upstream';
import { upstreamLogoutLocation, type UpstreamLogoutDeps } from '../domain/federation/upstream-logout';
import type { EndUserDeps } from '../domain/end-users';
import type { EnvironmentDeps } from '../domain/environments';
import type { IdpConnectionDeps } from '../domain/idp-connections';
import type { IntrospectionDeps, JwtVerifier } from '../domain/introspection';
import type { TokenOriginDeps } from '../domain/token-origins';
import type { PersonalAccessTokenDeps } from '../domain/personal-access-tokens';
import type { EnvironmentStore, PublicJwk, PublicKeySet } from '../domain/ports';
import type { ResourceDeps } from '../domain/resources';
import type { SamlSsoDeps } from '../domain/saml/sso';
import type { TokenDeps } from '../domain/service-account-tokens';
import type { TokenEndpointDeps } from '../domain/token-endpoint';
import type { TokenExchangeDeps } from '../domain/token-exchange';
import type { ServiceAccountDeps } from '../domain/service-accounts';
import type { KeyAssertionDeps, ServiceAccountKeyDeps } from '../domain/service-account-keys';
import type { KmsRetirementDeps, RotationDeps } from '../domain/signing-keys';
import type { CanaryDeps } from '../canary/probe';
import { logger } from '../adapters/observability';
import { latchkeyJwtVerifier } from '../adapters/token-verifier';
import { createGuard, type Guard } from '../guard';
import { recordDpopProof, type DpopDeps } from '../domain/dpop';
import { latchkeyAudience } from '../domain/builtin-resource';

/**
 * The composition root: the one place where domain functions meet the adapters. Each function
 * below answers the dependencies ONE domain entry point declares (its `…Deps` type), named after
 * it, assembled from the adapters of `src/adapters/from-environment.ts`. Those adapters (SDK
 * clients, stores, the signer) are built once per container, on first use; the objects here are
 * only bundles of them, assembled per call, so they never capture configuration early.
 *
 * Handlers (`functions/**`) take their dependencies from here and never import an adapter (a test
 * in test/unit/repository-conventions.test.ts holds them to it); so does the shared code of
 * `src/http`, and this file imports nothing from `src/http` (checked too). Domain tests build the
 * same objects from in-memory fakes.
 */

export { JWKS_MAX_AGE_SECONDS };

// ---- management API -------------------------------------------------------------------------

export function environmentDeps(): EnvironmentDeps & ServiceAccountDeps {
  return { ...serviceAccountDeps(), vault: webhookVault };
}

export function resourceDeps(): ResourceDeps {
  return { store: store(), now: clock, issuer: issuer() };
}

export function serviceAccountDeps(): ServiceAccountDeps & EnvironmentDeps {
  return { store: store(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

export function personalAccessTokenDeps(): PersonalAccessTokenDeps {
  return { store: store(), tokens: tokenStore(), hasher: pepperHasher(), now: clock };
}

export function serviceAccountKeyDeps(): ServiceAccountKeyDeps {
  return { store: store(), keys: serviceAccountKeyStore(), now: clock };
}

/** Verifying assertions signed with a service account's key: its keys and the used `jti` values. */
export function keyAssertionDeps(): KeyAssertionDeps {
  return { keys: serviceAccountKeyStore(), replay: clientStore(), issuer: issuer(), now: clock };
}

export function applicationDeps(): ApplicationDeps {
  return { applications: applicationStore(), vault: webhookVault(), now: clock };
}

export function idpConnectionDeps(): IdpConnectionDeps {
  return {
    connections: idpConnectionStore(),
    applications: applicationStore(),
    connectionSecrets: connectionSecretVault(),
    samlKeys: samlKeys(),
    samlMetadata: samlMetadataFetcher(),
    now: clock,
    issuer: issuer(),
  };
}

export function endUserDeps(): EndUserDeps {
  return { users: endUserStore(), now: clock };
}

/** Disabling, deleting and signing out end users, with back-channel logout as RP-initiated logout sends it. */
export function endUserLifecycleDeps(): EndUserLifecycleDeps {
  return {
    users: endUserStore(),
    authorizations: authorizationStore(),
    clients: clientStore(),
    applications: applicationStore(),
    connections: idpConnectionStore(),
    signer: signingKeys(),
    notifyLogout,
    now: clock,
    issuer: issuer(),
  };
}

export function clientRegistryDeps(): ClientRegistryDeps {
  return { clients: clientStore(), resources: store(), applications: applicationStore(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

export function samlRegistryDeps(): SamlRegistryDeps {
  return { clients: clientStore(), resources: store(), applications: applicationStore(), samlKeys: samlKeys(), now: clock, issuer: issuer() };
}

// ---- tokens -----------------------------------------------------------------------------------

/** Issuing a service-account token: the token endpoint, GraphQL and the management API's minting. */
export function tokenIssuingDeps(): TokenDeps {
  return { store: store(), hasher: pepperHasher(), signer: signingKeys(), opaqueTokens: tokenStore(), now: clock, issuer: issuer(), enrichment: enrichmentDeps };
}

/** Authenticating a registry client (`cl_…`) and issuing its client-credentials tokens. */
export function clientTokenDeps(): ClientTokenDeps {
  return {
    clients: clientStore(),
    environments: store(),
    applications: applicationStore(),
    resources: store(),
    replay: clientStore(),
    remoteJwks,
    hasher: pepperHasher(),
    signer: signingKeys(),
    opaqueTokens: tokenStore(),
    now: clock,
    issuer: issuer(),
  };
}

/** The failed-authentication throttle in front of every client authentication. */
export function clientAuthenticationThrottleDeps(): ThrottleDeps {
  return { counters: failedAuthenticationCounters(), now: clock };
}

/**
 * The token endpoint's pipeline (src/domain/token-endpoint.ts), and the client authentication that
 * introspection, revocation and GraphQL share with it: one object, for every grant.
 */
export function tokenEndpointDeps(): TokenEndpointDeps {
  return {
    serviceAccounts: tokenIssuingDeps(),
    clients: clientTokenDeps(),
    serviceAccountKeys: keyAssertionDeps(),
    grants: grantDeps,
    exchange: tokenExchangeDeps,
    throttle: clientAuthenticationThrottleDeps(),
    dpop: dpopDeps(),
    log: { warn: (message, details) => logger.warn(message, details) },
  };
}

/** Token exchange (RFC 8693): the minter, and finding the subject token live as introspection does. */
export function tokenExchangeDeps(): TokenExchangeDeps {
  return { ...tokenIssuingDeps(), introspection: introspectionDeps(), resources: store() };
}

/** DPoP proofs (RFC 9449) at the token endpoint, userinfo and the management API: used `jti`s beside client assertions'. */
function dpopDeps(): DpopDeps {
  return { now: clock, replay: clientStore() };
}

/** Generating a delegated token (REST and GraphQL alike), with its enrichment webhook. */
export function delegatedTokenDeps(): DelegatedTokenDeps {
  return {
    reads: delegationReads(),
    applications: applicationStore(),
    connections: idpConnectionStore(),
    users: endUserStore(),
    signer: signingKeys(),
    opaqueTokens: tokenStore(),
    hasher: pepperHasher(),
    enrichment: enrichmentDeps(),
    now: clock,
    issuer: issuer(),
  };
}

/** Calling an enrichment webhook: its transport, the vault of its secret, the log of its failures. */
function enrichmentDeps(): EnrichmentDeps {
  return { transport: webhookCaller(), vault: webhookVault(), now: clock, log: { warn: (message, details) => logger.warn(message, details) } };
}

/** Introspection and revocation: the token records, a verifier of Latchkey JWTs, and where tokens come from. */
export function introspectionDeps(): IntrospectionDeps {
  return {
    tokens: tokenStore(),
    hasher: pepperHasher(),
    now: clock,
    issuer: issuer(),
    verifyJwt: verifyLatchkeyJwt(),
    origins: tokenOrigins(),
    authorizations: authorizationStore(),
  };
}

/** Where client and end-user tokens come from, for introspection and userinfo. */
function tokenOrigins(): TokenOriginDeps {
  return { clients: clientStore(), applications: applicationStore(), users: endUserStore(), connections: idpConnectionStore() };
}

// ---- verifying Latchkey's own tokens ------------------------------------------------------------

let keySet: { kids: string; set: { keys: PublicJwk[] } } | undefined;

/**
 * The signer's published keys as one JWKS object while they stay the same, so a guard imports
 * them once rather than per request. As fresh as the signer's own key ring (re-read at most every
 * `LATCHKEY_SIGNING_KEY_REFRESH_SECONDS`, 30 s): a rotation or a retirement reaches the verifiers
 * of introspection, userinfo and the management API when it reaches the signer.
 */
async function publishedKeySet(): Promise<{ keys: PublicJwk[] }> {
  const keys = await signingKeys().publicKeys();
  const kids = keys.map((key) => key.kid).join(' ');
  if (keySet?.kids !== kids) keySet = { kids, set: { keys: [...keys] } };
  return keySet.set;
}

let managementGuard: Guard | undefined;
let tokenVerifier: JwtVerifier | undefined;

/**
 * Who may call the management API (`src/http/authenticate.ts`): the guard resource servers use,
 * over Latchkey's own published keys (verified locally, never `kms:Verify`) and the management
 * audience; personal access tokens and the revocation state from the token store.
 */
export function managementCallerDeps() {
  managementGuard ??= createGuard({
    issuer: issuer(),
    audience: latchkeyAudience(issuer()),
    // Serves every tenant: the caller's tenant and environment come from the token and scope every call.
    unsafeAcceptAnyTenant: true,
    jwks: publishedKeySet,
    // DPoP-bound tokens: proofs are single-use across every container, as at the token endpoint.
    dpop: { now: clock, replayCache: { record: ({ environmentId, ...proof }) => recordDpopProof(dpopDeps(), environmentId, proof) } },
  });
  return { guard: managementGuard, tokens: tokenStore(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

/**
 * Any Latchkey access token, for introspection, revocation and userinfo: no audience requirement
 * (introspection answers for every audience of the environment) and no clock tolerance (the
 * issuer's own clock decides, so an expired token is never "active").
 */
function verifyLatchkeyJwt(): JwtVerifier {
  tokenVerifier ??= latchkeyJwtVerifier(
    createGuard({
      issuer: issuer(),
      jwks: publishedKeySet,
      clockToleranceSeconds: 0,
      // Every tenant: the domain compares the token's environment with the caller's.
      unsafeAcceptAnyTenant: true,
    }),
  );
  return tokenVerifier;
}

/** The keys the JWKS publishes. */
export function publishedKeys(): PublicKeySet {
  return signingKeys();
}

// ---- interactive login ------------------------------------------------------------------------

/** Login and consent requests, and what every step of a login needs. */
export function interactionDeps(): InteractionDeps {
  return {
    clients: clientStore(),
    applications: applicationStore(),
    connections: idpConnectionStore(),
    users: endUserStore(),
    authorizations: authorizationStore(),
    hasher: pepperHasher(),
    now: clock,
    issuer: issuer(),
  };
}

/** The authorization endpoint: it may end a login in a code or in a SAML Response. */
export function authorizeDeps(): AuthorizeDeps {
  return { ...upstreamDeps(), authorizations: authorizationStore(), resources: store(), samlKeys: samlKeys() };
}

/**
 * The protocols Latchkey speaks with upstream identity providers, by connection type. A new
 * upstream type adds its protocol here.
 */
function upstreamProtocols(): UpstreamProtocols {
  return { oidc: oidcUpstream(), saml: new SamlUpstream({ issuer: issuer(), now: clock, hasher: pepperHasher(), samlKeys: samlKeys() }) };
}

let oidc: OidcUpstream | undefined;
/** The OpenID Connect upstream protocol, with its discovery cache: one per container. */
function oidcUpstream(): OidcUpstream {
  oidc ??= new OidcUpstream({ http: upstreamHttp(), remoteJwks, connectionSecrets: connectionSecretVault(), hasher: pepperHasher(), now: clock, issuer: issuer() });
  return oidc;
}

/** The callback of upstream OpenID providers: brokering, and the OIDC protocol to check their answers. */
export function oidcCallbackDeps(): UpstreamDeps & { readonly oidc: OidcUpstream } {
  return { ...upstreamDeps(), oidc: oidcUpstream() };
}

/** Logging end users in at an upstream identity provider: the choice page and the protocols' callbacks. */
export function upstreamDeps(): UpstreamDeps {
  return { ...interactionDeps(), upstreams: upstreamProtocols(), audit: auditLog(), retentionDays: auditRetentionDays() };
}

/** The assertion consumer service of SAML connections: brokering, and the replay store for assertion IDs. */
export function samlAssertionConsumerDeps(): AssertionConsumerDeps {
  return { ...upstreamDeps(), replay: clientStore() };
}

/** The SP metadata of SAML connections, signed by their keys. */
export function samlSpMetadataDeps(): ServiceProviderMetadataDeps {
  return { connections: idpConnectionStore(), issuer: issuer(), samlKeys: samlKeys() };
}

/** The pushed authorization request endpoint: the token endpoint's client authentication, the authorization request's checks. */
export function pushedRequestDeps(): PushedRequestDeps {
  return { tokenEndpoint: tokenEndpointDeps(), authorizations: authorizationStore(), resources: store(), hasher: pepperHasher(), now: clock, issuer: issuer() };
}

/** The SSO URL of a SAML client. */
export function samlSsoDeps(): SamlSsoDeps {
  return { ...interactionDeps(), replay: clientStore() };
}

/** The authorization-code and refresh-token grants. */
export function grantDeps(): GrantDeps {
  return { ...interactionDeps(), authorizations: authorizationStore(), resources: store(), signer: signingKeys(), tokens: tokenStore() };
}

/** RP-initiated logout, with back-channel logout notifications. */
export function endSessionDeps(): EndSessionDeps {
  const base = interactionDeps();
  return {
    ...base,
    readIdTokenHint: (token) => readIdTokenHint(base.issuer, token),
    signer: signingKeys(),
    notifyLogout,
    upstreamLogout: (environmentId, link, after) => upstreamLogoutLocation({ ...base, oidc: oidcUpstream() }, environmentId, link, after),
  };
}

/** Back-channel logout from upstream OpenID providers: their keys, the replay store, and telling Latchkey's applications. */
export function upstreamLogoutDeps(): UpstreamLogoutDeps {
  return { ...interactionDeps(), oidc: oidcUpstream(), replay: clientStore(), signer: signingKeys(), notifyLogout };
}

function notifyLogout(url: string, token: string): Promise<void> {
  return postLogoutToken(url, token, (reason) => logger.warn('back-channel logout failed', { reason }));
}

/**
 * Signature, issuer and the ID token's `typ` only: RP-initiated logout accepts an expired ID token as
 * its hint (to ask before ending the session), never an access token (`at+jwt`) or a logout token.
 */
async function readIdTokenHint(expectedIssuer: string, token: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    const { protectedHeader } = await compactVerify(token, createLocalJWKSet({ keys: [...(await signingKeys().publicKeys())] as never }));
    if (protectedHeader.typ !== 'JWT') return undefined;
    const claims = decodeJwt(token);
    return claims.iss === expectedIssuer ? claims : undefined;
  } catch {
    return undefined;
  }
}

export function userInfoDeps(): UserInfoDeps {
  return { verifyJwt: verifyLatchkeyJwt(), tokens: tokenStore(), origins: tokenOrigins(), dpop: dpopDeps() };
}

// ---- operations -------------------------------------------------------------------------------

/** Creating a tenant, its first environment and administrator. */
export function bootstrapDeps(): EnvironmentDeps & ServiceAccountDeps {
  return serviceAccountDeps();
}

// ---- audit log ----------------------------------------------------------------------------------

/** Writing audit events (the shared HTTP stack, the client-authentication chain, the ops functions). */
export function auditDeps(): AuditDeps & { readonly environments: Pick<EnvironmentStore, 'getEnvironment'> } {
  return { audit: auditLog(), now: clock, retentionDays: auditRetentionDays(), environments: store() };
}

/** Listing and verifying the audit log. */
export function auditReadDeps(): AuditReadDeps {
  return { audit: auditLog(), now: clock };
}

/** The canary: the public API of this deployment, as a client reaches it, with the canary account's credentials. */
export function canaryDeps(): CanaryDeps {
  return { issuer: issuer(), credentials: canaryCredentials(), fetch: (input, init) => fetch(input, init), now: () => performance.now() };
}

/** Envelope-mode signing-key rotation; its intervals follow from the token lifetimes and caches. */
export function signingKeyRotationDeps(): RotationDeps {
  return signingKeyRotation();
}

/** KMS-mode retirement of the key that signs now (a suspected compromise). */
export function kmsKeyRetirementDeps(): KmsRetirementDeps {
  return kmsKeyRetirement();
}
