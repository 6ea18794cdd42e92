import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuthorizationStore } from '../../domain/authorization/ports';
import type { AuthorizationCodeRecord, PushedAuthorizationRequestRecord, RefreshTokenRecord, TokenFamilyRecord } from '../../domain/authorization/model';
import type { AuthorizationRequestRecord, AuthorizationStatus, ConsentRecord, SessionRecord } from '../../domain/login/model';
import { conditionMet, environmentPartition, keys, SK_PREFIX, toRecord, withExpiry, type Key } from './items';
import { RecordIo } from './record-io';

/**
 * Interactive login's records, each in its environment's partition (key patterns in `items.ts`):
 *
 * | record                | sk                                   | expiresAt (TTL)               |
 * |-----------------------|--------------------------------------|-------------------------------|
 * | authorization request | AUTHZ_REQUEST#{id}                   | the challenge's expiry        |
 * | authorization code    | AUTHZ_CODE#{hash of the code}        | the code's expiry             |
 * | refresh token         | REFRESH_TOKEN#{hash of the token}    | the token's expiry            |
 * | token family          | TOKEN_FAMILY#{id}                    | the family's absolute expiry  |
 * | browser session       | SESSION#{sid}                        | the session's expiry          |
 * | session of a user     | USER_SESSION#{userId}#{sid}          | the session's expiry          |
 * | remembered consent    | CONSENT#{userId}#{clientRef}         | end of the access validity    |
 * | pushed request        | PAR#{hash of the request_uri}        | the request_uri's expiry      |
 *
 * Single use is a conditional update (`usedAt` absent, or the expected status), so of two
 * concurrent uses one wins. Expiry is the readers' business (see `ports.ts`); the TTL only tidies.
 *
 * A session's user index item is written before the session and deleted after it, both under
 * deterministic keys, so every session that exists can be found from its user; an index item whose
 * session is gone (a deletion cut short) finds nothing and is skipped.
 */

/** A session as stored, its clients (a DynamoDB string set) as a sorted list. */
const readSession = <T>(item: Record<string, unknown> | undefined): T | undefined => {
  const record = withExpiry<Record<string, unknown>>(item);
  if (!record) return undefined;
  const refs = record.clientRefs;
  return (refs instanceof Set ? { ...record, clientRefs: [...(refs as Set<string>)].sort() } : record) as T;
};

export class DynamoDbAuthorizationStore implements AuthorizationStore {
  private readonly io: RecordIo;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.io = new RecordIo(client, tableName);
  }

  putRequest(request: AuthorizationRequestRecord): Promise<void> {
    return this.io.putNew(keys.authorizationRequest(request.environmentId, request.id), 'authorization-request', request);
  }

  getRequest(environmentId: string, id: string): Promise<AuthorizationRequestRecord | undefined> {
    return this.io.get(keys.authorizationRequest(environmentId, id), withExpiry);
  }

  async transitionRequest(
    environmentId: string,
    id: string,
    from: AuthorizationStatus,
    changes: Partial<AuthorizationRequestRecord> & { status: AuthorizationStatus },
    nowSeconds: number,
  ): Promise<AuthorizationRequestRecord | undefined> {
    const item = await this.updateIf(
      keys.authorizationRequest(environmentId, id),
      changes,
      '#status = :from AND expiresAt > :now',
      { ':from': from, ':now': nowSeconds },
      { '#status': 'status' },
    );
    return withExpiry(item);
  }

  putCode(code: AuthorizationCodeRecord): Promise<void> {
    return this.io.putNew(keys.authorizationCode(code.environmentId, code.codeHash), 'authorization-code', code);
  }

  getCode(environmentId: string, codeHash: string): Promise<AuthorizationCodeRecord | undefined> {
    return this.io.get(keys.authorizationCode(environmentId, codeHash), withExpiry);
  }

  async consumeCode(environmentId: string, codeHash: string, nowSeconds: number): Promise<boolean> {
    return (await this.updateIf(keys.authorizationCode(environmentId, codeHash), { usedAt: nowSeconds }, 'attribute_not_exists(usedAt)', {})) !== undefined;
  }

  putRefreshToken(token: RefreshTokenRecord): Promise<void> {
    return this.io.putNew(keys.refreshToken(token.environmentId, token.tokenHash), 'refresh-token', token);
  }

  getRefreshToken(environmentId: string, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.io.get(keys.refreshToken(environmentId, tokenHash), withExpiry);
  }

  async consumeRefreshToken(environmentId: string, tokenHash: string, nowSeconds: number, successorHash?: string): Promise<boolean> {
    return (await this.updateIf(keys.refreshToken(environmentId, tokenHash), { usedAt: nowSeconds, successorHash }, 'attribute_not_exists(usedAt)', {})) !== undefined;
  }

  putFamily(family: TokenFamilyRecord): Promise<void> {
    return this.io.putNew(keys.tokenFamily(family.environmentId, family.id), 'token-family', { ...family, expiresAt: family.absoluteExpiresAt });
  }

  getFamily(environmentId: string, id: string): Promise<TokenFamilyRecord | undefined> {
    return this.io.get(keys.tokenFamily(environmentId, id));
  }

  async addFamilyAccessToken(environmentId: string, id: string, token: { jti: string; exp: number }): Promise<boolean> {
    return conditionMet(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.tokenFamily(environmentId, id),
          UpdateExpression: 'SET accessTokens = list_append(accessTokens, :token)',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked)',
          ExpressionAttributeValues: { ':token': [token] },
        }),
      ),
    );
  }

  async revokeFamily(environmentId: string, id: string): Promise<TokenFamilyRecord | undefined> {
    return toRecord(await this.updateIf(keys.tokenFamily(environmentId, id), { revoked: true }, 'attribute_exists(pk)', {}));
  }

  putPushedRequest(request: PushedAuthorizationRequestRecord): Promise<void> {
    return this.io.putNew(keys.pushedRequest(request.environmentId, request.requestUriHash), 'pushed-authorization-request', request);
  }

  async consumePushedRequest(environmentId: string, requestUriHash: string, clientRef: string, nowSeconds: number): Promise<PushedAuthorizationRequestRecord | undefined> {
    const item = await this.updateIf(
      keys.pushedRequest(environmentId, requestUriHash),
      { usedAt: nowSeconds },
      'attribute_not_exists(usedAt) AND clientRef = :client AND expiresAt > :now',
      { ':client': clientRef, ':now': nowSeconds },
    );
    return withExpiry(item);
  }

  async putSession(session: SessionRecord): Promise<void> {
    const { environmentId, id, userId, expiresAt, clientRefs } = session;
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.userSession(environmentId, userId, id), type: 'user-session', userId, sessionId: id, expiresAt } }),
    );
    const { clientRefs: _list, ...fields } = session;
    // The clients as a string set, so adding one later is one idempotent ADD (a set is never empty).
    const item = { ...fields, ...(clientRefs?.length ? { clientRefs: new Set(clientRefs) } : {}), ...keys.session(environmentId, id), type: 'session' };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  getSession(environmentId: string, id: string): Promise<SessionRecord | undefined> {
    return this.io.get(keys.session(environmentId, id), readSession);
  }

  async deleteSession(environmentId: string, id: string): Promise<boolean> {
    let deleted: Record<string, unknown> | undefined;
    try {
      ({ Attributes: deleted } = await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: keys.session(environmentId, id), ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' }),
      ));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (typeof deleted?.userId === 'string') {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.userSession(environmentId, deleted.userId, id) }));
    }
    return true;
  }

  async addSessionClient(environmentId: string, id: string, clientRef: string): Promise<void> {
    await conditionMet(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.session(environmentId, id),
          UpdateExpression: 'ADD clientRefs :refs',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':refs': new Set([clientRef]) },
        }),
      ),
    );
  }

  async listUserSessions(environmentId: string, userId: string): Promise<SessionRecord[]> {
    const index = await this.io.all<{ sessionId: string }>(environmentPartition(environmentId), SK_PREFIX.userSessionsOf(userId));
    const sessions: SessionRecord[] = [];
    for (let start = 0; start < index.length; start += 100) {
      const found = await this.io.batchGet(index.slice(start, start + 100).map((entry) => keys.session(environmentId, entry.sessionId)));
      // Only the user's own: a session key is never reused, but the index is not trusted for it.
      for (const item of found) if (item.userId === userId) sessions.push(readSession<SessionRecord>(item)!);
    }
    return sessions.sort((a, b) => a.authTime - b.authTime || a.id.localeCompare(b.id));
  }

  async putConsent(consent: ConsentRecord): Promise<void> {
    // A newer consent replaces the older one: its scopes and validity are what the end user said last.
    const item = { ...consent, ...keys.consent(consent.environmentId, consent.userId, consent.clientRef), type: 'consent' };
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  getConsent(environmentId: string, userId: string, clientRef: string): Promise<ConsentRecord | undefined> {
    return this.io.get(keys.consent(environmentId, userId, clientRef), withExpiry);
  }

  async deleteConsents(environmentId: string, userId: string): Promise<void> {
    for (const consent of await this.io.all<ConsentRecord>(environmentPartition(environmentId), SK_PREFIX.consentsOf(userId))) {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.consent(environmentId, userId, consent.clientRef) }));
    }
  }

  /** Sets `changes` if the item exists and `condition` holds; answers the new item, or undefined. */
  private async updateIf(
    itemKey: Key,
    changes: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown>,
    extraNames: Record<string, string> = {},
  ): Promise<Record<string, unknown> | undefined> {
    const names: Record<string, string> = { ...extraNames };
    const sets: string[] = [];
    const allValues: Record<string, unknown> = { ...values };
    Object.entries(changes).forEach(([name, value], index) => {
      if (value === undefined) return;
      names[`#c${index}`] = name;
      allValues[`:c${index}`] = value;
      sets.push(`#c${index} = :c${index}`);
    });
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND (${condition})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: allValues,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
