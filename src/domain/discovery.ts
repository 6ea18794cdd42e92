/**
 * The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) and OAuth 2.0 authorization server
 * metadata (RFC 8414) of a Latchkey deployment. Only endpoints that exist are listed.
 */
export function openidConfiguration(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    token_endpoint: `${issuer}/oauth/v2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ['openid', 'profile', 'email'],
    response_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  };
}
