import { ASSERTION_ALGORITHMS, ID_TOKEN_ALGORITHMS } from './clients/model';
import { STANDARD_SCOPES } from './scopes';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange';
import { DPOP_ALGORITHMS } from '../dpop-proof';

/**
 * The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) and OAuth 2.0 authorization server
 * metadata (RFC 8414 §2) of a Latchkey deployment. Only endpoints that exist are listed.
 */
/** The token, introspection and revocation endpoints authenticate clients the same way... */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth'];
/** ...and the token endpoint also serves public clients, whose PKCE replaces a secret; revocation lets them revoke their own tokens (RFC 7009 §2.1). */
const TOKEN_AUTH_METHODS = [...CLIENT_AUTH_METHODS, 'none'];

/** The endpoints a client reaches again on the mutual-TLS domain (RFC 8705 §5). */
const MTLS_ENDPOINTS = {
  token_endpoint: '/oauth/v2/token',
  introspection_endpoint: '/oauth/v2/introspect',
  revocation_endpoint: '/oauth/v2/revoke',
  userinfo_endpoint: '/oauth/v2/userinfo',
};

/** @param mtlsBaseUrl the mutual-TLS custom domain's base URL, when the deployment has one. */
export function openidConfiguration(issuer: string, mtlsBaseUrl?: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/v2/authorize`,
    token_endpoint: `${issuer}/oauth/v2/token`,
    userinfo_endpoint: `${issuer}/oauth/v2/userinfo`,
    end_session_endpoint: `${issuer}/oauth/v2/end_session`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    // OIDC clients may also use private key JWT and self-signed mutual TLS (RFC 7523, RFC 8705).
    token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    tls_client_certificate_bound_access_tokens: true,
    // RFC 9449 §5.1; no `DPoP-Nonce`: proofs are bound by their window and single-use `jti` instead.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer', TOKEN_EXCHANGE_GRANT],
    introspection_endpoint: `${issuer}/oauth/v2/introspect`,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint: `${issuer}/oauth/v2/revoke`,
    revocation_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    scopes_supported: [...STANDARD_SCOPES],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'at_hash', 'amr', 'name', 'email', 'email_verified', 'updated_at'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: ['none', 'login', 'consent'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...ID_TOKEN_ALGORITHMS],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    // RFC 9126 §5: a request_uri comes only from the pushed authorization request endpoint.
    pushed_authorization_request_endpoint: `${issuer}/oauth/v2/par`,
    require_pushed_authorization_requests: false,
    claims_parameter_supported: false,
    // OpenID Connect Back-Channel Logout 1.0 §2.1: every logout token carries `sid`.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    ...(mtlsBaseUrl
      ? { mtls_endpoint_aliases: Object.fromEntries(Object.entries(MTLS_ENDPOINTS).map(([name, path]) => [name, `${mtlsBaseUrl.replace(/\/+$/, '')}${path}`])) }
      : {}),
  };
}
