import type { LambdaClient } from '@aws-sdk/client-lambda';
import { isLambdaArn } from '../domain/webhook-targets';
import { WEBHOOK_UNREACHABLE, WebhookFailure, type WebhookTransport } from '../domain/enrichment';
import type { WebhookInvocationEvent } from '../webhook/contract';
import { OutboundFailure, OutboundHttp } from './outbound-http';

/**
 * Delivers enrichment webhook requests: an HTTP POST to a URL target, or a direct, synchronous
 * invocation of a Lambda target (no function URL needed; the function's role trusts Latchkey's
 * `lambda:InvokeFunction` grant instead). Both honour the abort signal of the caller's time budget.
 *
 * Rules: URL targets go through the outbound policy (src/adapters/outbound-http.ts: https to public
 * addresses only in a deployed stage, checked on the address connected to); redirects are not
 * followed (a webhook answers where it is configured, a 3xx is a failure); answers larger than
 * `MAX_ANSWER_BYTES` are refused without being read to the end. Every transport failure is the one
 * public reason `WEBHOOK_UNREACHABLE`; what happened (refused address, ECONNREFUSED, TLS, status)
 * is the failure's `detail`, for the log only, so the webhook setting cannot scan a network.
 */

/** Far above the 10,240-character payload limit, far below anything that strains a function. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export class WebhookCaller implements WebhookTransport {
  constructor(
    /** Made on first use; may load the Lambda client module then (most functions never invoke one). */
    private readonly lambda: () => LambdaClient | Promise<LambdaClient>,
    private readonly http: OutboundHttp = new OutboundHttp(),
  ) {}

  deliver(target: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    return isLambdaArn(target) ? this.invoke(target, body, headers, signal) : this.post(target, body, headers, signal);
  }

  private async post(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    let answer;
    try {
      answer = await this.http.request(url, { method: 'POST', headers: { ...headers, 'user-agent': 'Latchkey-Webhook/1.0' }, body, signal, maxBytes: MAX_ANSWER_BYTES });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new WebhookFailure(WEBHOOK_UNREACHABLE, error instanceof OutboundFailure ? error.message : String(error));
    }
    if (answer.status < 200 || answer.status > 299) throw new WebhookFailure(WEBHOOK_UNREACHABLE, `it answered HTTP ${answer.status}`);
    return answer.body.toString('utf8');
  }

  private async invoke(arn: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    const event: WebhookInvocationEvent = { headers: { ...headers }, body, isBase64Encoded: false };
    let result;
    try {
      // Loaded here, not at the top: only a Lambda webhook target needs the Lambda client's module.
      const [{ InvokeCommand }, lambda] = await Promise.all([import('./lambda-invoke-client'), this.lambda()]);
      result = await lambda.send(new InvokeCommand({ FunctionName: arn, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event), 'utf8') }), {
        abortSignal: signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new WebhookFailure(WEBHOOK_UNREACHABLE, `the function could not be invoked (${error instanceof Error ? error.name : 'unknown error'})`);
    }
    const text = Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8');
    if (result.FunctionError) throw new WebhookFailure(WEBHOOK_UNREACHABLE, `the function failed (${result.FunctionError})`);
    if (text.length > MAX_ANSWER_BYTES) throw new WebhookFailure(`its answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    // An HTTP-shaped result (`{statusCode, body}`) carries the answer in its body.
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return text;
    }
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { statusCode?: unknown }).statusCode === 'number') {
      const { statusCode, body: answer } = parsed as { statusCode: number; body?: unknown };
      if (statusCode < 200 || statusCode > 299) throw new WebhookFailure(WEBHOOK_UNREACHABLE, `it answered HTTP ${statusCode}`);
      return typeof answer === 'string' ? answer : JSON.stringify(answer ?? null);
    }
    return text;
  }
}
