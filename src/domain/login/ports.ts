import type { AuthorizationRequestRecord, AuthorizationStatus, ConsentRecord, SessionRecord } from './model';

/**
 * Storage of a login's records: requests, browser sessions and remembered consent. The OIDC side
 * extends it with codes, refresh tokens and families (`AuthorizationStore` in
 * `src/domain/authorization/ports.ts`), and one AWS implementation serves both
 * (`src/adapters/dynamodb/authorization-store.ts`). Records are answered as stored, expired or not:
 * the domain decides with its clock. Single use is a conditional write, so of two concurrent uses
 * exactly one succeeds.
 */
export interface LoginStore {
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
