import { ASSERTION_ALGORITHMS } from './clients/model';

/**
 * The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) and OAuth 2.0 authorization server
 * metadata (RFC 8414) of a Latchkey deployment. Only endpoints that exist are listed.
 */
/** The token, introspection and revocation endpoints authenticate clients the same way. */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'self_signed_tls_client_auth'];

export function openidConfiguration(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/oauth/v2/token`,
    // CL-3: OIDC clients may also use private key JWT and self-signed mutual TLS (RFC 7523, RFC 8705).
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    tls_client_certificate_bound_access_tokens: true,
    grant_types_supported: ['client_credentials'],
    introspection_endpoint: `${issuer}/oauth/v2/introspect`,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint: `${issuer}/oauth/v2/revoke`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    scopes_supported: ['openid', 'profile', 'email'],
    response_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  };
}
