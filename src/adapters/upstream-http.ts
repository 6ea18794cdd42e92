import type { UpstreamHttp } from '../domain/federation/oidc-upstream';
import { OutboundHttp } from './outbound-http';

/**
 * HTTP to upstream OpenID providers (discovery, token endpoint), through the outbound policy: https
 * to public addresses in a deployed stage, no redirects, bounded answers, short timeouts (a browser
 * waits on these calls). Failures throw `OutboundFailure` or an `Error` whose message is for the log.
 */
const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 5000;

export class PolicyUpstreamHttp implements UpstreamHttp {
  constructor(private readonly outbound: OutboundHttp = new OutboundHttp()) {}

  async getJson(url: string): Promise<unknown> {
    const answer = await this.outbound.request(url, { method: 'GET', headers: { accept: 'application/json' }, maxBytes: MAX_BYTES, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (answer.status !== 200) throw new Error(`GET ${new URL(url).origin}${new URL(url).pathname} answered ${answer.status}`);
    return parse(answer.body);
  }

  async postForm(url: string, form: URLSearchParams, headers: Readonly<Record<string, string>>): Promise<{ status: number; body: unknown }> {
    const answer = await this.outbound.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      maxBytes: MAX_BYTES,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    let body: unknown;
    try {
      body = parse(answer.body);
    } catch {
      body = undefined;
    }
    return { status: answer.status, body };
  }
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('the answer is not JSON');
  }
}
