import { Conflict } from '../../src/domain/errors';
import type { AuthorizationStore } from '../../src/domain/authorization/ports';
import type { AuthorizationCodeRecord, PushedAuthorizationRequestRecord, RefreshTokenRecord, TokenFamilyRecord } from '../../src/domain/authorization/model';
import type { AuthorizationRequestRecord, AuthorizationStatus, ConsentRecord, SessionRecord } from '../../src/domain/login/model';

/** Interactive login's records in memory, with the same conditional semantics as the DynamoDB store. */
export class MemoryAuthorizationStore implements AuthorizationStore {
  readonly requests = new Map<string, AuthorizationRequestRecord>();
  readonly codes = new Map<string, AuthorizationCodeRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly families = new Map<string, TokenFamilyRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly consents = new Map<string, ConsentRecord>();
  readonly pushedRequests = new Map<string, PushedAuthorizationRequestRecord>();

  private static putNew<T>(map: Map<string, T>, key: string, value: T): void {
    if (map.has(key)) throw new Conflict('taken');
    map.set(key, structuredClone(value));
  }

  async putRequest(request: AuthorizationRequestRecord) {
    MemoryAuthorizationStore.putNew(this.requests, `${request.environmentId}/${request.id}`, request);
  }
  async getRequest(environmentId: string, id: string) {
    return this.requests.get(`${environmentId}/${id}`);
  }
  async transitionRequest(
    environmentId: string,
    id: string,
    from: AuthorizationStatus,
    changes: Partial<AuthorizationRequestRecord> & { status: AuthorizationStatus },
    nowSeconds: number,
  ) {
    const current = this.requests.get(`${environmentId}/${id}`);
    if (!current || current.status !== from || current.expiresAt <= nowSeconds) return undefined;
    const updated = { ...current, ...changes };
    this.requests.set(`${environmentId}/${id}`, updated);
    return updated;
  }
  async putCode(code: AuthorizationCodeRecord) {
    MemoryAuthorizationStore.putNew(this.codes, `${code.environmentId}/${code.codeHash}`, code);
  }
  async getCode(environmentId: string, codeHash: string) {
    return this.codes.get(`${environmentId}/${codeHash}`);
  }
  async consumeCode(environmentId: string, codeHash: string, nowSeconds: number) {
    const code = this.codes.get(`${environmentId}/${codeHash}`);
    if (!code || code.usedAt !== undefined) return false;
    this.codes.set(`${environmentId}/${codeHash}`, { ...code, usedAt: nowSeconds });
    return true;
  }
  async putRefreshToken(token: RefreshTokenRecord) {
    MemoryAuthorizationStore.putNew(this.refreshTokens, `${token.environmentId}/${token.tokenHash}`, token);
  }
  async getRefreshToken(environmentId: string, tokenHash: string) {
    return this.refreshTokens.get(`${environmentId}/${tokenHash}`);
  }
  async consumeRefreshToken(environmentId: string, tokenHash: string, nowSeconds: number, successorHash?: string) {
    const token = this.refreshTokens.get(`${environmentId}/${tokenHash}`);
    if (!token || token.usedAt !== undefined) return false;
    this.refreshTokens.set(`${environmentId}/${tokenHash}`, { ...token, usedAt: nowSeconds, successorHash });
    return true;
  }
  async putFamily(family: TokenFamilyRecord) {
    MemoryAuthorizationStore.putNew(this.families, `${family.environmentId}/${family.id}`, family);
  }
  async getFamily(environmentId: string, id: string) {
    return this.families.get(`${environmentId}/${id}`);
  }
  async addFamilyAccessToken(environmentId: string, id: string, token: { jti: string; exp: number }) {
    const family = this.families.get(`${environmentId}/${id}`);
    if (!family || family.revoked) return false;
    this.families.set(`${environmentId}/${id}`, { ...family, accessTokens: [...family.accessTokens, token] });
    return true;
  }
  async revokeFamily(environmentId: string, id: string) {
    const family = this.families.get(`${environmentId}/${id}`);
    if (!family) return undefined;
    const revoked = { ...family, revoked: true };
    this.families.set(`${environmentId}/${id}`, revoked);
    return revoked;
  }
  async putPushedRequest(request: PushedAuthorizationRequestRecord) {
    MemoryAuthorizationStore.putNew(this.pushedRequests, `${request.environmentId}/${request.requestUriHash}`, request);
  }
  async consumePushedRequest(environmentId: string, requestUriHash: string, clientRef: string, nowSeconds: number) {
    const request = this.pushedRequests.get(`${environmentId}/${requestUriHash}`);
    if (!request || request.usedAt !== undefined || request.clientRef !== clientRef || request.expiresAt <= nowSeconds) return undefined;
    const used = { ...request, usedAt: nowSeconds };
    this.pushedRequests.set(`${environmentId}/${requestUriHash}`, used);
    return used;
  }
  async putSession(session: SessionRecord) {
    this.sessions.set(`${session.environmentId}/${session.id}`, session);
  }
  async getSession(environmentId: string, id: string) {
    return this.sessions.get(`${environmentId}/${id}`);
  }
  async deleteSession(environmentId: string, id: string) {
    return this.sessions.delete(`${environmentId}/${id}`);
  }
  async addSessionClient(environmentId: string, id: string, clientRef: string) {
    const session = this.sessions.get(`${environmentId}/${id}`);
    if (session) this.sessions.set(`${environmentId}/${id}`, { ...session, clientRefs: [...new Set([...(session.clientRefs ?? []), clientRef])].sort() });
  }
  async listUserSessions(environmentId: string, userId: string) {
    return [...this.sessions.values()].filter((session) => session.environmentId === environmentId && session.userId === userId);
  }
  async deleteConsents(environmentId: string, userId: string) {
    for (const [key, consent] of this.consents) if (consent.environmentId === environmentId && consent.userId === userId) this.consents.delete(key);
  }
  async putConsent(consent: ConsentRecord) {
    this.consents.set(`${consent.environmentId}/${consent.userId}/${consent.clientRef}`, consent);
  }
  async getConsent(environmentId: string, userId: string, clientRef: string) {
    return this.consents.get(`${environmentId}/${userId}/${clientRef}`);
  }
}
