import type { SecretHashes } from '../model';

/**
 * The client registry's records: OIDC and SAML clients of an application. Wire names
 * follow SPEC "Wire names for clients"; the README maps them to RFC 7591 registration metadata.
 */

export const CLIENT_TYPES = ['web', 'native'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const PKCE_MODES = ['allow', 'enforce', 'enforce_instead_of_secret'] as const;
export type PkceMode = (typeof PKCE_MODES)[number];

export const PROMPT_VALUES = ['login', 'consent', 'none'] as const;
export type PromptValue = (typeof PROMPT_VALUES)[number];

/** JWS algorithms of ID tokens (OpenID Connect Core §3.1.3.7 requires RS256 to be available). */
export const ID_TOKEN_ALGORITHMS = ['ES256', 'RS256'] as const;
export type IdTokenAlgorithm = (typeof ID_TOKEN_ALGORITHMS)[number];

export const NAME_ID_TYPES = ['email', 'phone_number', 'username', 'external_user_id'] as const;
export type NameIdType = (typeof NAME_ID_TYPES)[number];

/** JWS algorithms accepted for `private_key_jwt` assertions: asymmetric only, never `none` or HMAC. */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** A public JSON Web Key as a client registers it (RFC 7517); only public members are kept. */
export type ClientJwk = Readonly<Record<string, unknown>> & { readonly kty: string };

/** A resource the client may request, with the lifetime of tokens for it. */
export interface ClientResource {
  /** The resource's key. */
  readonly resource: string;
  readonly accessTokenTtlSeconds?: number;
}

/** Every setting of an OIDC client that its owner chooses. */
export interface OidcClientSettings {
  readonly name: string;
  readonly description?: string;
  readonly redirectUris: readonly string[];
  readonly clientType: ClientType;
  readonly thirdParty: boolean;
  readonly authMethod: AuthMethod;
  readonly jwks?: { readonly keys: readonly ClientJwk[] };
  readonly jwksUri?: string;
  /** PEM of the certificate a `self_signed_tls_client_auth` client presents. */
  readonly tlsClientCertificate?: string;
  readonly tokenBinding: boolean;
  readonly pkce: PkceMode;
  readonly resources: readonly ClientResource[];
  readonly idTokenClaims: readonly string[];
  readonly promptValues: readonly PromptValue[];
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly maxRefreshSeconds: number;
  readonly consentRedirectUris: readonly string[];
  readonly accessValiditySeconds: number;
  readonly scopes: readonly string[];
  /** Where RP-initiated logout may send the browser back to (OpenID Connect RP-Initiated Logout §3). */
  readonly postLogoutRedirectUris: readonly string[];
  readonly idTokenSignedResponseAlg: IdTokenAlgorithm;
  /** May exchange tokens (RFC 8693) at the token endpoint; setting it or acting on such a client needs TOKEN_EXCHANGE. */
  readonly tokenExchange?: boolean;
  /** Every token request must carry a DPoP proof (RFC 9449), so every token of the client is sender-constrained. */
  readonly requireDpop?: boolean;
  /** Where logout tokens for this client go (OpenID Connect Back-Channel Logout 1.0 §2.2), instead of the application's `logoutUrl`. */
  readonly backchannelLogoutUri?: string;
  /** The client needs `sid` in its logout tokens (Back-Channel Logout 1.0 §2.2); Latchkey always sends it. */
  readonly backchannelLogoutSessionRequired?: boolean;
  /** The client must push its authorization requests (RFC 9126 §6): the authorization endpoint takes only a `request_uri` from it. */
  readonly requirePar?: boolean;
}

interface ClientIdentity {
  /** `cl_…`: the record's ID, unique in the environment. */
  readonly id: string;
  /** `cl_…@env_…`: what the client sends as `client_id`; generated, never changes. */
  readonly clientId: string;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly tenantId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface OidcClient extends OidcClientSettings, ClientIdentity {
  readonly protocol: 'oidc';
}

export interface StoredOidcClient extends OidcClient {
  readonly secret: SecretHashes;
  /** base64url SHA-256 of the registered certificate's DER (RFC 8705 `x5t#S256`), derived on write. */
  readonly tlsCertificateThumbprint?: string;
  /** Goes up with each secret rotation, which is conditional on it (optimistic concurrency). */
  readonly version?: number;
  /** When a client authentication with this client's ID last failed, in epoch seconds (`src/domain/authentication-throttle.ts`). */
  readonly lastFailedAuthenticationAt?: number;
}

export interface SamlClientSettings {
  readonly name: string;
  readonly description?: string;
  readonly acsUrl: string;
  readonly spEntityId: string;
  readonly nameIdType: NameIdType;
  /** PEM of the certificate the service provider signs its AuthnRequests with. */
  readonly spSigningCertificate?: string;
  /** Refuse AuthnRequests that are not signed with `spSigningCertificate`. */
  readonly requireSignedRequests?: boolean;
  /** Sign the whole Response too, besides its assertion (SAML core §5.2; what many SPs, node-saml by default, expect). */
  readonly signResponse?: boolean;
}

export interface StoredSamlClient extends SamlClientSettings, ClientIdentity {
  readonly protocol: 'saml';
  /** PEM of the certificate of the client's current signing key (self-signed by it). */
  readonly certificate: string;
  /** The client's own RSA key that signs assertions and metadata (absent on records made before per-client keys). */
  readonly signingKey?: SamlSigningKey;
  /** During a certificate rollover: the next key, published in the metadata beside the current one. */
  readonly nextSigningKey?: SamlSigningKey;
}

/** What callers see of a SAML client: the stored record without wrapped keys, and the URLs derived from the issuer. */
export interface SamlClient extends Omit<StoredSamlClient, 'signingKey' | 'nextSigningKey'> {
  /** During a rollover: the certificate that the next rotation call makes current. */
  readonly nextCertificate?: string;
  readonly ssoUrl: string;
  readonly idpEntityId: string;
  readonly metadataUrl: string;
}

export type StoredClient = StoredOidcClient | StoredSamlClient;

/** A SAML client's own signing key: its certificate and its private key, encrypted under KMS. */
export interface SamlSigningKey {
  /** `key_…`: names the key in KMS's encryption context and in logs. */
  readonly keyId: string;
  /** PEM of the X.509 certificate of this key. */
  readonly certificate: string;
  /** base64 of the private key encrypted under KMS; never shown to callers. */
  readonly wrappedPrivateKey: string;
  readonly createdAt: string;
}
