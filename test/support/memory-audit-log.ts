import type { AuditEvent, AuditLog, AuditQuery, ChainLink } from '../../src/domain/audit';
import type { Page } from '../../src/domain/model';

/**
 * The audit log in memory, with the DynamoDB adapter's semantics: an event is stored only if its
 * sequence number is free in its chain, the head moves forward only, and reads leave out events
 * past their expiry. Each call yields once, so concurrent writers interleave as they would.
 */
export class MemoryAuditLog implements AuditLog {
  readonly events = new Map<string, Map<number, { event: AuditEvent; expiresAt: number }>>();
  readonly heads = new Map<string, ChainLink>();

  private chainOf(chain: string) {
    const events = this.events.get(chain) ?? new Map<number, { event: AuditEvent; expiresAt: number }>();
    this.events.set(chain, events);
    return events;
  }

  async newest(chain: string): Promise<ChainLink | undefined> {
    await Promise.resolve();
    const sequences = [...this.chainOf(chain).keys()];
    if (sequences.length === 0) return undefined;
    const newest = this.chainOf(chain).get(Math.max(...sequences))!.event;
    return { sequence: newest.sequence, digest: newest.digest, retainedUntil: newest.retainedUntil };
  }

  async append(chain: string, event: AuditEvent): Promise<boolean> {
    await Promise.resolve();
    const events = this.chainOf(chain);
    if (events.has(event.sequence)) return false;
    events.set(event.sequence, { event: structuredClone(event), expiresAt: Math.floor(Date.parse(event.retainedUntil) / 1000) });
    return true;
  }

  async advanceHead(chain: string, link: ChainLink): Promise<void> {
    const head = this.heads.get(chain);
    if (!head || head.sequence < link.sequence) this.heads.set(chain, link);
  }

  async head(chain: string): Promise<ChainLink | undefined> {
    return this.heads.get(chain);
  }

  async list(chain: string, query: AuditQuery, nowSeconds: number): Promise<Page<AuditEvent>> {
    const start = query.cursor === undefined ? Number.POSITIVE_INFINITY : Number(query.cursor);
    const matching = [...this.chainOf(chain).values()]
      .filter(({ event, expiresAt }) => expiresAt > nowSeconds && event.sequence < start)
      .map(({ event }) => event)
      .filter((event) => (query.action === undefined || event.action === query.action) && (query.actorId === undefined || event.actor.id === query.actorId))
      .filter((event) => (query.targetId === undefined || event.target?.id === query.targetId) && (query.since === undefined || event.time >= query.since))
      .filter((event) => query.until === undefined || event.time < query.until)
      .sort((a, b) => b.sequence - a.sequence);
    const items = matching.slice(0, query.limit);
    return { items, ...(matching.length > query.limit ? { cursor: String(items.at(-1)!.sequence) } : {}) };
  }

  async chainFrom(chain: string, from: number, limit: number, nowSeconds: number): Promise<AuditEvent[]> {
    return [...this.chainOf(chain).values()]
      .filter(({ event, expiresAt }) => expiresAt > nowSeconds && event.sequence >= from)
      .map(({ event }) => event)
      .sort((a, b) => a.sequence - b.sequence)
      .slice(0, limit);
  }
}
