import { describe, expect, it, vi } from 'vitest';
import type { StoredApplication } from '../../src/domain/applications';
import { enrichClaims, readAnswer, WEBHOOK_UNREACHABLE, WebhookFailure, type EnrichmentDeps, type WebhookTransport } from '../../src/domain/enrichment';
import { EnrichmentFailed } from '../../src/domain/errors';
import type { EnrichmentRequestPayload } from '../../src/webhook';
import { SIGNATURE_HEADER, verifySignature } from '../../src/webhook';

/** The enrichment webhook's failure policy and time budget, with an in-memory transport standing in for the network. */

const request: EnrichmentRequestPayload = {
  tenant_id: 'ten_a',
  environment_id: 'env_a',
  application_id: 'app_a',
  user_id: 'usr_a',
  external_subject_id: 'ext',
  session_id: 'ses_a',
  subject_type: 'EndUserAccount',
  profile_id: 'prf_a',
  name: 'ada',
  email: null,
};

function application(policy: 'fail' | 'omit', options: { secret?: boolean; timeoutMs?: number } = {}): StoredApplication {
  return {
    id: 'app_a',
    environmentId: 'env_a',
    tenantId: 'ten_a',
    name: 'A',
    endUserTokenTtlSeconds: 3600,
    webhook: { target: 'https://hooks.example.com', failurePolicy: policy, timeoutMs: options.timeoutMs ?? 200 },
    ...(options.secret === false ? {} : { webhookSecret: { secretId: 'arn:secret', versionId: 'v1' } }),
    createdAt: '',
    updatedAt: '',
  };
}

function deps(transport: WebhookTransport) {
  const logged: { message: string; details: Record<string, unknown> }[] = [];
  const value: EnrichmentDeps = {
    transport,
    vault: { read: async () => 'lkw_secret' },
    now: () => Date.now(),
    log: { warn: (message, details) => logged.push({ message, details }) },
  };
  return { deps: value, logged };
}

const answering = (answer: unknown): WebhookTransport => ({ deliver: async () => JSON.stringify(answer) });

describe('enrichClaims', () => {
  it('answers the payload, from a request signed over its exact body', async () => {
    let sent: { body: string; headers: Readonly<Record<string, string>> } | undefined;
    const { deps: d } = deps({
      deliver: async (_target, body, headers) => {
        sent = { body, headers };
        return JSON.stringify({ payload: { plan: 'gold' }, errors: [], warnings: [] });
      },
    });
    expect(await enrichClaims(d, application('fail'), request)).toEqual({ plan: 'gold' });
    expect(verifySignature('lkw_secret', sent!.body, sent!.headers[SIGNATURE_HEADER], Date.now())).toMatchObject({ ok: true });
    expect(JSON.parse(sent!.body).payload).toEqual(request);
  });

  it('does nothing without a webhook', async () => {
    const { deps: d } = deps({ deliver: async () => expect.fail('no call expected') });
    const { webhook: _none, ...plain } = application('fail');
    expect(await enrichClaims(d, plain, request)).toBeUndefined();
  });

  it('logs warnings the webhook answers, and still enriches', async () => {
    const { deps: d, logged } = deps(answering({ payload: { a: 1 }, errors: [], warnings: [{ message: 'old field' }] }));
    expect(await enrichClaims(d, application('fail'), request)).toEqual({ a: 1 });
    expect(logged).toEqual([{ message: 'enrichment webhook answered warnings', details: { applicationId: 'app_a', warnings: ['old field'] } }]);
  });

  it('stops waiting at the budget, even for a transport that ignores the abort signal', async () => {
    let aborted = false;
    const { deps: d, logged } = deps({
      deliver: (_target, _body, _headers, signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return new Promise(() => undefined);
      },
    });
    // The clock is moved, not waited on: nothing settles before the budget, the call fails at it.
    vi.useFakeTimers();
    try {
      let settled = false;
      const outcome = enrichClaims(d, application('fail', { timeoutMs: 150 }), request).finally(() => (settled = true));
      outcome.catch(() => undefined);
      await vi.advanceTimersByTimeAsync(149);
      expect(settled).toBe(false);
      expect(aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(outcome).rejects.toThrow('the webhook could not be reached');
    } finally {
      vi.useRealTimers();
    }
    expect(aborted).toBe(true);
    expect(logged[0]?.details).toMatchObject({ reason: 'the webhook could not be reached', detail: 'it did not answer within 150 ms' });
  });

  describe.each([
    ['errors', answering({ payload: {}, errors: ['customer unknown'] }), 'it answered errors: customer unknown', undefined],
    ['oversized', answering({ payload: { x: 'y'.repeat(10_240) } }), 'over the limit of 10240', undefined],
    ['no payload', answering({ errors: [] }), 'no "payload" object', undefined],
    ['a list payload', answering({ payload: [1] }), 'no "payload" object', undefined],
    ['a failure', { deliver: async () => Promise.reject(new WebhookFailure(WEBHOOK_UNREACHABLE, 'it answered HTTP 503')) }, WEBHOOK_UNREACHABLE, 'it answered HTTP 503'],
    ['a crash', { deliver: async () => Promise.reject(new RangeError('bug')) }, WEBHOOK_UNREACHABLE, 'it could not be called (RangeError)'],
  ] as [string, WebhookTransport, string, string | undefined][])('%s', (_name, transport, reason, detail) => {
    it('fails the request under `fail`, naming the reason and keeping the detail for the log', async () => {
      const { deps: d, logged } = deps(transport);
      const error = await enrichClaims(d, application('fail'), request).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EnrichmentFailed);
      expect(error).toMatchObject({ status: 502, code: 'enrichment_failed' });
      expect((error as Error).message).toContain(reason);
      if (detail) {
        expect((error as Error).message).not.toContain(detail);
        expect(logged).toEqual([{ message: expect.stringContaining('token refused'), details: { applicationId: 'app_a', reason, detail } }]);
      }
    });

    it('omits the extensions under `omit`, and logs why', async () => {
      const { deps: d, logged } = deps(transport);
      expect(await enrichClaims(d, application('omit'), request)).toBeUndefined();
      expect(logged).toEqual([
        {
          message: expect.stringContaining('token issued without extensions'),
          details: { applicationId: 'app_a', reason: expect.stringContaining(reason), ...(detail ? { detail } : {}) },
        },
      ]);
    });
  });

  it('never sends an unsigned request: no secret is a failure', async () => {
    const { deps: d, logged } = deps({ deliver: async () => expect.fail('no call expected') });
    await expect(enrichClaims(d, application('fail', { secret: false }), request)).rejects.toThrow('no webhook secret');
    expect(await enrichClaims(d, application('omit', { secret: false }), request)).toBeUndefined();
    // Both policies log the failure: `fail` for the operator, `omit` because the caller never sees it.
    expect(logged.map((entry) => entry.details.reason)).toEqual([expect.stringContaining('no webhook secret'), expect.stringContaining('no webhook secret')]);
  });
});

describe('readAnswer', () => {
  it('accepts exactly 10,240 characters of payload', () => {
    const payload = { x: 'y'.repeat(10_240 - '{"x":""}'.length) };
    expect(JSON.stringify(payload)).toHaveLength(10_240);
    expect(readAnswer(JSON.stringify({ payload }))).toEqual({ extensions: payload, warnings: [] });
    expect(readAnswer(JSON.stringify({ payload: { x: `${payload.x}y` } }))).toHaveProperty('reason');
  });

  it('refuses errors and warnings that are not lists', () => {
    expect(readAnswer(JSON.stringify({ payload: {}, errors: 'bad' }))).toEqual({ reason: 'its answer has "errors" or "warnings" that are not lists' });
  });
});
