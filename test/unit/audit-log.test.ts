import { describe, expect, it } from 'vitest';
import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  GENESIS_DIGEST,
  listAuditEvents,
  recordAuditEvent,
  recordFailedClientAuthentication,
  VERIFY_PAGE_SIZE,
  verifyAuditChain,
  type AuditDraft,
} from '../../src/domain/audit';
import type { Caller } from '../../src/domain/caller';
import { MemoryAuditLog } from '../support/memory-audit-log';

const ENV = 'env_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const auditor: Caller = { tenantId: 'ten_a', environmentId: ENV, accountId: 'sa_auditor', permissions: { latchkey: ['AUDIT_READ'] } };
const draft = (action: string, targetId: string): AuditDraft => ({
  tenantId: 'ten_a',
  environmentId: ENV,
  actor: { type: 'service_account', id: 'sa_admin', clientId: `sa_admin@${ENV}` },
  action,
  target: { type: 'resource', id: targetId },
  outcome: 'success',
});

describe('the audit log in the domain', () => {
  it('chains concurrent writers: every event takes a place of its own, linked to the one before', async () => {
    const audit = new MemoryAuditLog();
    const deps = { audit, now: () => Date.now(), retentionDays: DEFAULT_AUDIT_RETENTION_DAYS };
    const written = await Promise.all(Array.from({ length: 12 }, (_, index) => recordAuditEvent(deps, draft('resource.created', `r${index}`))));
    expect(written.map((event) => event.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
    const chain = await audit.chainFrom(ENV, 1, 100, 0);
    expect(chain[0]!.previousDigest).toBe(GENESIS_DIGEST);
    for (const [index, event] of chain.entries()) if (index > 0) expect(event.previousDigest).toBe(chain[index - 1]!.digest);
    expect(await audit.head(ENV)).toEqual({ sequence: 12, digest: chain[11]!.digest, retainedUntil: chain[11]!.retainedUntil });
    expect(await verifyAuditChain({ audit, now: deps.now }, auditor)).toMatchObject({ valid: true, checked: 12 });
  });

  it('treats an expired event as gone, and checks the chain from the oldest one kept', async () => {
    const audit = new MemoryAuditLog();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const deps = { audit, now: () => now, retentionDays: 1 };
    await recordAuditEvent(deps, draft('resource.created', 'old'));
    now += 12 * 3600_000;
    await recordAuditEvent(deps, draft('resource.created', 'new'));
    now += 13 * 3600_000;
    const listed = await listAuditEvents({ audit, now: deps.now }, auditor, {});
    expect(listed.items.map((event) => event.target?.id)).toEqual(['new']);
    expect(await verifyAuditChain({ audit, now: deps.now }, auditor)).toMatchObject({ valid: true, checked: 1, first: { sequence: 2 } });
    // A day later every event has expired: nothing is missing, though the head names the last one.
    now += 24 * 3600_000;
    expect(await verifyAuditChain({ audit, now: deps.now }, auditor)).toEqual({ valid: true, checked: 0 });
    // Before then, the newest event cut from the table is missing.
    now -= 24 * 3600_000;
    audit.events.get(ENV)!.delete(2);
    expect(await verifyAuditChain({ audit, now: deps.now }, auditor)).toMatchObject({ valid: false, brokenAt: { sequence: 1 } });
  });

  it('checks a long chain a page at a time, and finds a break on a later page', async () => {
    const audit = new MemoryAuditLog();
    const deps = { audit, now: () => Date.now(), retentionDays: 400 };
    for (let index = 0; index < VERIFY_PAGE_SIZE + 5; index++) await recordAuditEvent(deps, draft('resource.updated', `r${index}`));
    const first = await verifyAuditChain(deps, auditor);
    expect(first).toMatchObject({ valid: true, checked: VERIFY_PAGE_SIZE, last: { sequence: VERIFY_PAGE_SIZE }, cursor: expect.any(String) });
    expect(await verifyAuditChain(deps, auditor, { cursor: first.cursor! })).toEqual(
      expect.objectContaining({ valid: true, checked: 5, last: expect.objectContaining({ sequence: VERIFY_PAGE_SIZE + 5 }) }),
    );

    const stored = audit.events.get(ENV)!.get(VERIFY_PAGE_SIZE + 2)!;
    stored.event = { ...stored.event, changedFields: ['secret'] };
    expect(await verifyAuditChain(deps, auditor, { cursor: first.cursor! })).toMatchObject({ valid: false, brokenAt: { sequence: VERIFY_PAGE_SIZE + 2 } });
    await expect(verifyAuditChain(deps, auditor, { cursor: 'not-a-cursor' })).rejects.toMatchObject({ status: 400 });
  });

  it('files a failed client authentication under the environment its client ID names, and gives up sooner than a change', async () => {
    const audit = new MemoryAuditLog();
    const environments = { getEnvironment: async (id: string) => (id === ENV ? ({ id: ENV, tenantId: 'ten_a' } as never) : undefined) };
    const deps = { audit, now: () => Date.now(), retentionDays: 400, environments };
    const failed = await recordFailedClientAuthentication(deps, { clientId: `sa_bbbbbbbbbbbbbbbbbbbbbbbbbb@${ENV}`, errorCode: 'invalid_client', sourceIp: '192.0.2.1' });
    expect(failed).toMatchObject({ tenantId: 'ten_a', action: 'service_account.authentication_failed', target: { type: 'service_account', id: 'sa_bbbbbbbbbbbbbbbbbbbbbbbbbb' } });
    // No event for an environment that does not exist: an unknown caller starts no chain.
    expect(await recordFailedClientAuthentication(deps, { clientId: 'cl_bbbbbbbbbbbbbbbbbbbbbbbbbb@env_cccccccccccccccccccccccccc', errorCode: 'invalid_client' })).toBeUndefined();
    let tries = 0;
    audit.append = async () => {
      tries++;
      return false;
    };
    await expect(recordFailedClientAuthentication(deps, { clientId: `sa_bbbbbbbbbbbbbbbbbbbbbbbbbb@${ENV}`, errorCode: 'invalid_client' })).rejects.toMatchObject({ status: 503 });
    expect(tries).toBe(4);
  });

  it('needs AUDIT_READ to list or verify', async () => {
    const audit = new MemoryAuditLog();
    const stranger: Caller = { ...auditor, permissions: { latchkey: ['SERVICE_ACCOUNTS_READ'] } };
    await expect(listAuditEvents({ audit, now: Date.now }, stranger, {})).rejects.toMatchObject({ status: 403 });
    await expect(verifyAuditChain({ audit, now: Date.now }, stranger)).rejects.toMatchObject({ status: 403 });
  });
});
