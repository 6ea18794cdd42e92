import { Conflict } from '../../src/domain/errors';
import type { Page } from '../../src/domain/model';
import type { StoredOpaqueToken, StoredPersonalAccessToken, TokenRecordStore } from '../../src/domain/ports';
import type { MemoryStore } from './memory-store';

/**
 * PATs, opaque tokens and JWT revocations in memory, for domain tests. Like dynalite, it never
 * expires anything by itself: the domain must check `expiresAt`.
 */
export class MemoryTokenStore implements TokenRecordStore {
  readonly personalAccessTokens = new Map<string, StoredPersonalAccessToken>();
  readonly opaqueTokens = new Map<string, StoredOpaqueToken>();
  readonly revokedJwts = new Map<string, number>();

  constructor(private readonly accounts: MemoryStore) {}

  async createPersonalAccessToken(token: StoredPersonalAccessToken) {
    const key = `${token.environmentId}/${token.serviceAccountId}/${token.id}`;
    if (this.personalAccessTokens.has(key)) throw new Conflict('taken');
    this.personalAccessTokens.set(key, token);
  }
  async listPersonalAccessTokens(environmentId: string, accountId: string, limit: number, cursor?: string): Promise<Page<StoredPersonalAccessToken>> {
    const all = [...this.personalAccessTokens.entries()].filter(([key]) => key.startsWith(`${environmentId}/${accountId}/`)).sort(([a], [b]) => a.localeCompare(b));
    const start = cursor ? Number(cursor) : 0;
    const items = all.slice(start, start + limit).map(([, token]) => token);
    return { items, ...(start + limit < all.length ? { cursor: String(start + limit) } : {}) };
  }
  async getPersonalAccessToken(environmentId: string, accountId: string, id: string) {
    return this.personalAccessTokens.get(`${environmentId}/${accountId}/${id}`);
  }
  async deletePersonalAccessToken(environmentId: string, accountId: string, id: string) {
    return this.personalAccessTokens.delete(`${environmentId}/${accountId}/${id}`);
  }
  async loadPersonalAccessToken(environmentId: string, accountId: string, id: string) {
    return this.withOwner(this.personalAccessTokens.get(`${environmentId}/${accountId}/${id}`), environmentId, accountId);
  }
  async putOpaqueToken(token: StoredOpaqueToken) {
    const key = `${token.environmentId}/${token.id}`;
    if (this.opaqueTokens.has(key)) throw new Conflict('taken');
    this.opaqueTokens.set(key, token);
  }
  async loadOpaqueToken(environmentId: string, accountId: string, id: string) {
    return this.withOwner(this.opaqueTokens.get(`${environmentId}/${id}`), environmentId, accountId);
  }
  async deleteOpaqueToken(environmentId: string, id: string) {
    return this.opaqueTokens.delete(`${environmentId}/${id}`);
  }
  async revokeJwt(environmentId: string, jti: string, expiresAt: number) {
    this.revokedJwts.set(`${environmentId}/${jti}`, expiresAt);
  }
  async loadJwtState(environmentId: string, jti: string | undefined, accountId?: string) {
    const revokedUntil = jti ? this.revokedJwts.get(`${environmentId}/${jti}`) : undefined;
    const owner = accountId ? await this.accounts.getServiceAccount(environmentId, accountId) : undefined;
    return { ...(revokedUntil !== undefined ? { revokedUntil } : {}), ...(owner ? { owner } : {}) };
  }

  private async withOwner<T>(token: T | undefined, environmentId: string, accountId: string) {
    const owner = await this.accounts.getServiceAccount(environmentId, accountId);
    return { ...(token ? { token } : {}), ...(owner ? { owner } : {}) };
  }
}
