/**
 * The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) and OAuth 2.0 authorization server
 * metadata (RFC 8414) of a Latchkey deployment. Only endpoints that exist are listed.
 */
export function openidConfiguration(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: ['ES256'],
    subject_types_supported: ['public'],
    response_types_supported: [],
  };
}
