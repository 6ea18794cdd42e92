import type { LoginStore } from '../login/ports';
import type { AuthorizationCodeRecord, PushedAuthorizationRequestRecord, RefreshTokenRecord, TokenFamilyRecord } from './model';

/**
 * Storage of interactive login and the authorization-code grant: the login's records
 * (`LoginStore`) and the code, refresh tokens and families a login ends in. One AWS implementation
 * in `src/adapters/dynamodb/authorization-store.ts`. Records are answered as stored, expired or not:
 * the domain decides with its clock. Single use is a conditional write, so of two concurrent uses
 * exactly one succeeds.
 */
export interface AuthorizationStore extends LoginStore {
  putCode(code: AuthorizationCodeRecord): Promise<void>;
  getCode(environmentId: string, codeHash: string): Promise<AuthorizationCodeRecord | undefined>;
  /** Marks the code used if it was not; false when it already was. */
  consumeCode(environmentId: string, codeHash: string, nowSeconds: number): Promise<boolean>;

  putRefreshToken(token: RefreshTokenRecord): Promise<void>;
  getRefreshToken(environmentId: string, tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks the refresh token used, naming the hash of its successor, if it was not; false when it already was. */
  consumeRefreshToken(environmentId: string, tokenHash: string, nowSeconds: number, successorHash?: string): Promise<boolean>;

  putFamily(family: TokenFamilyRecord): Promise<void>;
  getFamily(environmentId: string, id: string): Promise<TokenFamilyRecord | undefined>;
  /**
   * Adds an issued access token to a family that exists and is not revoked; false otherwise (the
   * family was revoked meanwhile, and the token must not be handed out).
   */
  addFamilyAccessToken(environmentId: string, id: string, token: { jti: string; exp: number }): Promise<boolean>;
  /** Marks the family revoked; answers it (with its access tokens) when it exists. */
  revokeFamily(environmentId: string, id: string): Promise<TokenFamilyRecord | undefined>;

  putPushedRequest(request: PushedAuthorizationRequestRecord): Promise<void>;
  /**
   * Marks a pushed request used if it was not, is unexpired at `nowSeconds` and was pushed by
   * `clientRef`; answers it, or undefined when it is unknown, expired, another client's or already used.
   */
  consumePushedRequest(environmentId: string, requestUriHash: string, clientRef: string, nowSeconds: number): Promise<PushedAuthorizationRequestRecord | undefined>;
}
