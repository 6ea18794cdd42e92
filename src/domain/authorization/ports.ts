import type { AuthorizationCodeRecord, AuthorizationRequestRecord, AuthorizationStatus, ConsentRecord, RefreshTokenRecord, SessionRecord, TokenFamilyRecord } from './model';

/**
 * Storage of interactive login; one AWS implementation in
 * `src/adapters/dynamodb/authorization-store.ts`. Records are answered as stored, expired or not:
 * the domain decides with its clock. Single use is a conditional write, so of two concurrent uses
 * exactly one succeeds.
 */
export interface AuthorizationStore {
  putRequest(request: AuthorizationRequestRecord): Promise<void>;
  getRequest(environmentId: string, id: string): Promise<AuthorizationRequestRecord | undefined>;
  /**
   * Moves a request from `from` to `changes.status` if it is still in `from` and unexpired at
   * `nowSeconds`; answers the request as it is now, or undefined when another call moved it first.
   */
  transitionRequest(
    environmentId: string,
    id: string,
    from: AuthorizationStatus,
    changes: Partial<AuthorizationRequestRecord> & { status: AuthorizationStatus },
    nowSeconds: number,
  ): Promise<AuthorizationRequestRecord | undefined>;

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

  putSession(session: SessionRecord): Promise<void>;
  getSession(environmentId: string, id: string): Promise<SessionRecord | undefined>;
  deleteSession(environmentId: string, id: string): Promise<boolean>;
  /** Adds a client to the clients an existing session signed in to; nothing when the session is gone. */
  addSessionClient(environmentId: string, id: string, clientRef: string): Promise<void>;
  /** The sessions of one end user, expired or not (the caller decides with its clock). */
  listUserSessions(environmentId: string, userId: string): Promise<SessionRecord[]>;

  putConsent(consent: ConsentRecord): Promise<void>;
  getConsent(environmentId: string, userId: string, clientRef: string): Promise<ConsentRecord | undefined>;
  /** Forgets every consent the end user gave. */
  deleteConsents(environmentId: string, userId: string): Promise<void>;
}
