import type { Caller } from '../caller';
import { InvalidRequest } from '../errors';
import { localTargetsAllowed } from '../../config';
import { outboundUrlProblem } from '../outbound-policy';
import type { ConnectionSecretRef, ConnectionSecretVault } from './connection-secrets';

/**
 * The settings of an `oidc` IDP connection: which OpenID Connect provider, which client Latchkey is
 * there, and how its claims become an end user's.
 *
 * Rules, in the order they are checked:
 * 1. `issuer` is an absolute http(s) URL without query or fragment that the outbound policy allows
 *    (https to public addresses in a deployed stage), checked when saved and again, on the resolved
 *    address, whenever Latchkey calls it or an endpoint its discovery document names.
 * 2. `clientId` is 1 to 255 characters; a new connection gives exactly one of `clientSecret` or
 *    `privateKeyJwk` (a private RSA or EC JWK), which goes to the connection secret vault only.
 * 3. `scopes` holds `openid`; default "openid email profile".
 * 4. `claimMapping` names, for `email`, `email_verified` and `name`, the upstream claim to read instead.
 */

export const MAPPED_CLAIMS = ['email', 'email_verified', 'name'] as const;
export type MappedClaim = (typeof MAPPED_CLAIMS)[number];

export interface OidcConnectionSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Space-separated, as sent upstream. */
  readonly scopes: string;
  readonly claimMapping?: Readonly<Partial<Record<MappedClaim, string>>>;
  /** How Latchkey authenticates at the upstream token endpoint. */
  readonly clientAuthentication: 'client_secret_basic' | 'private_key_jwt';
  /** The client secret or private JWK in the vault. */
  readonly secret: ConnectionSecretRef;
}

export interface OidcConnectionInput {
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  privateKeyJwk?: Record<string, unknown>;
  scopes?: string;
  claimMapping?: Partial<Record<MappedClaim, string>>;
}

export const DEFAULT_OIDC_SCOPES = 'openid email profile';

export async function checkOidcSettings(
  deps: { readonly connectionSecrets: ConnectionSecretVault },
  environmentId: Caller['environmentId'],
  connectionId: string,
  input: OidcConnectionInput,
  current: OidcConnectionSettings | undefined,
): Promise<OidcConnectionSettings> {
  const issuer = input.issuer ?? current?.issuer;
  if (issuer === undefined) throw invalid('issuer', 'is required for an oidc connection');
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.search || url.hash || issuer.length > 500) {
    throw invalid('issuer', 'must be an absolute https URL without query or fragment, at most 500 characters');
  }
  // Latchkey calls it (discovery, then the JWKS and token endpoint it names, each checked again when
  // called): refused when saved if the outbound policy would refuse it, as webhook targets are.
  const outboundProblem = outboundUrlProblem(issuer, { allowLocalTargets: localTargetsAllowed() });
  if (outboundProblem) throw invalid('issuer', outboundProblem);
  const clientId = input.clientId ?? current?.clientId;
  if (clientId === undefined || !clientId.trim() || clientId.length > 255) throw invalid('clientId', 'must be 1 to 255 characters');
  const scopes = [...new Set((input.scopes ?? current?.scopes ?? DEFAULT_OIDC_SCOPES).split(' ').filter(Boolean))];
  if (!scopes.includes('openid')) throw invalid('scopes', 'must include "openid"');
  if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(scope)) || scopes.length > 30) throw invalid('scopes', 'must be at most 30 scope tokens');
  const claimMapping = input.claimMapping ?? current?.claimMapping;
  for (const [claim, source] of Object.entries(claimMapping ?? {})) {
    if (!MAPPED_CLAIMS.includes(claim as MappedClaim)) throw invalid(`claimMapping.${claim}`, `is not a mapped claim; map one of ${MAPPED_CLAIMS.join(', ')}`);
    if (typeof source !== 'string' || !source || source.length > 100) throw invalid(`claimMapping.${claim}`, 'must name an upstream claim (1 to 100 characters)');
  }
  if (input.clientSecret !== undefined && input.privateKeyJwk !== undefined) throw invalid('clientSecret', 'give clientSecret or privateKeyJwk, not both');
  let clientAuthentication = current?.clientAuthentication;
  let secret = current?.secret;
  if (input.clientSecret !== undefined) {
    if (!input.clientSecret || input.clientSecret.length > 1000) throw invalid('clientSecret', 'must be 1 to 1000 characters');
    clientAuthentication = 'client_secret_basic';
    secret = await deps.connectionSecrets.put(environmentId, connectionId, input.clientSecret);
  } else if (input.privateKeyJwk !== undefined) {
    const jwk = input.privateKeyJwk;
    if (!['RSA', 'EC'].includes(String(jwk.kty)) || typeof jwk.d !== 'string') throw invalid('privateKeyJwk', 'must be a private RSA or EC JWK');
    clientAuthentication = 'private_key_jwt';
    secret = await deps.connectionSecrets.put(environmentId, connectionId, JSON.stringify(jwk));
  }
  if (!clientAuthentication || !secret) throw invalid('clientSecret', 'give clientSecret or privateKeyJwk');
  return {
    issuer,
    clientId,
    scopes: scopes.join(' '),
    ...(claimMapping && Object.keys(claimMapping).length > 0 ? { claimMapping } : {}),
    clientAuthentication,
    secret,
  };
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}
