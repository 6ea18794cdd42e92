import { clientTokenDeps, grantDeps, tokenIssuingDeps } from '../composition/dependencies';
import { exchangeAuthorizationCode, refreshTokens, type TokenSet } from '../domain/authorization/grants';
import { issueClientCredentialsTokenFor } from '../domain/clients/tokens';
import { InvalidRequest, UnauthorizedClient } from '../domain/errors';
import { issueForAuthenticatedServiceAccount } from '../domain/service-account-tokens';
import type { AuthenticatedCaller } from './oauth-client';

/**
 * The token endpoint's grants, keyed by `grant_type`: the endpoint authenticates the client once
 * (the shared client-authentication chain), then hands the form to the grant asked for. Each grant
 * parses its own parameters and calls one domain function.
 */

/** The RFC 6749 §5.1 answer. */
export interface TokenEndpointAnswer {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
}

export type GrantHandler = (caller: AuthenticatedCaller, form: URLSearchParams) => Promise<TokenEndpointAnswer>;

const optional = (form: URLSearchParams, name: string) => form.get(name) ?? undefined;

function tokenRequest(form: URLSearchParams) {
  const resources = form.getAll('resource');
  for (const resource of resources) if (!resource) throw new InvalidRequest('resource must not be empty');
  return { ...(form.has('scope') ? { scope: form.get('scope')! } : {}), resources };
}

function answer(set: TokenSet): TokenEndpointAnswer {
  return {
    access_token: set.accessToken,
    token_type: set.tokenType,
    expires_in: set.expiresInSeconds,
    ...(set.scope ? { scope: set.scope } : {}),
    ...(set.idToken ? { id_token: set.idToken } : {}),
    ...(set.refreshToken ? { refresh_token: set.refreshToken } : {}),
  };
}

/** Grants of end users are for OIDC clients only; a service account has no end user. */
function oidcClient(caller: AuthenticatedCaller, grantType: string) {
  if (caller.kind !== 'client') throw new UnauthorizedClient(`service accounts cannot use the ${grantType} grant`);
  return caller.authenticated;
}

export const GRANT_HANDLERS: Readonly<Record<string, GrantHandler>> = {
  /** RFC 6749 §4.4: service accounts (scope aliases, RFC 8707 resources) and OIDC clients. */
  client_credentials: async (caller, form) => {
    const request = tokenRequest(form);
    const token =
      caller.kind === 'client'
        ? await issueClientCredentialsTokenFor(clientTokenDeps(), caller.authenticated, request)
        : await issueForAuthenticatedServiceAccount(tokenIssuingDeps(), caller.authenticated, request);
    return { access_token: token.accessToken, token_type: token.tokenType, expires_in: token.expiresInSeconds, ...(token.scope ? { scope: token.scope } : {}) };
  },
  /** RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5). */
  authorization_code: async (caller, form) =>
    answer(
      await exchangeAuthorizationCode(grantDeps(), oidcClient(caller, 'authorization_code'), {
        code: optional(form, 'code'),
        redirectUri: optional(form, 'redirect_uri'),
        codeVerifier: optional(form, 'code_verifier'),
      }),
    ),
  /** RFC 6749 §6, rotated on every use. */
  refresh_token: async (caller, form) =>
    answer(await refreshTokens(grantDeps(), oidcClient(caller, 'refresh_token'), { refreshToken: optional(form, 'refresh_token'), scope: optional(form, 'scope') })),
};
