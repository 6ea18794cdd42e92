import type { StoredOidcClient } from '../clients/model';
import type { EndUser } from '../end-users';
import type { TokenSigner } from '../primitives';
import { leftHalfHash } from './handles';
import type { GrantSubject } from './model';

/**
 * ID tokens (OpenID Connect Core §2, §3.1.3.6) and the claims of the end user that scopes release
 * (§5.4): `profile` releases `name`, `email` releases `email` and `email_verified`. A client's `idTokenClaims` adds
 * claims to its ID tokens whatever the scope, as far as Latchkey knows them.
 */

/** The standard claims Latchkey knows of an end user. */
export function userClaims(user: EndUser, scopes: readonly string[], alwaysInclude: readonly string[] = []): Record<string, unknown> {
  const known: Record<string, unknown> = {
    ...(user.name !== undefined ? { name: user.name } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.email !== undefined && user.emailVerified !== undefined ? { email_verified: user.emailVerified } : {}),
    updated_at: Math.floor(Date.parse(user.updatedAt) / 1000),
  };
  const released = new Set(alwaysInclude);
  if (scopes.includes('profile')) for (const claim of ['name', 'updated_at']) released.add(claim);
  if (scopes.includes('email')) for (const claim of ['email', 'email_verified']) released.add(claim);
  return Object.fromEntries(Object.entries(known).filter(([claim]) => released.has(claim)));
}

export interface IdTokenInput {
  readonly subject: GrantSubject;
  readonly user: EndUser;
  readonly accessToken: string;
  readonly nonce?: string;
  readonly iat: number;
}

export async function signIdToken(deps: { signer: TokenSigner; issuer: string }, client: StoredOidcClient, input: IdTokenInput): Promise<string> {
  const { subject } = input;
  const claims: Record<string, unknown> = {
    ...userClaims(input.user, subject.scopes, client.idTokenClaims ?? []),
    iss: deps.issuer,
    sub: subject.userId,
    aud: client.clientId,
    exp: input.iat + client.accessTokenTtlSeconds,
    iat: input.iat,
    auth_time: subject.authTime,
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    azp: client.clientId,
    sid: subject.sessionId,
    at_hash: leftHalfHash(input.accessToken),
    ...(subject.amr?.length ? { amr: subject.amr } : {}),
  };
  return deps.signer.sign(claims, { typ: 'JWT', alg: client.idTokenSignedResponseAlg ?? 'ES256' });
}
