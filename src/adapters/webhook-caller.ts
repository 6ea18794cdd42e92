import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { isLambdaArn } from '../domain/webhook-targets';
import { WebhookFailure, type WebhookTransport } from '../domain/enrichment';
import type { WebhookInvocationEvent } from '../webhook/contract';

/**
 * Delivers enrichment webhook requests: an HTTP POST to a URL target, or a direct, synchronous
 * invocation of a Lambda target (no function URL needed; the function's role trusts Latchkey's
 * `lambda:InvokeFunction` grant instead). Both honour the abort signal of the caller's time budget.
 *
 * Rules: redirects are not followed (a webhook answers where it is configured); answers larger than
 * `MAX_ANSWER_BYTES` are refused without being read to the end.
 */

/** Far above the 10,240-character payload limit, far below anything that strains a function. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export class WebhookCaller implements WebhookTransport {
  constructor(private readonly lambda: () => LambdaClient) {}

  deliver(target: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    return isLambdaArn(target) ? this.invoke(target, body, headers, signal) : this.post(target, body, headers, signal);
  }

  private async post(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { ...headers, 'user-agent': 'Latchkey-Webhook/1.0' }, body, signal, redirect: 'manual' });
    } catch (error) {
      if (signal.aborted) throw error;
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new WebhookFailure(`it could not be reached${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      throw new WebhookFailure(`it answered HTTP ${response.status}`);
    }
    return readLimited(response);
  }

  private async invoke(arn: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<string> {
    const event: WebhookInvocationEvent = { headers: { ...headers }, body, isBase64Encoded: false };
    const result = await this.lambda().send(
      new InvokeCommand({ FunctionName: arn, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event), 'utf8') }),
      { abortSignal: signal },
    );
    const text = Buffer.from(result.Payload ?? new Uint8Array()).toString('utf8');
    if (result.FunctionError) throw new WebhookFailure(`the function failed (${result.FunctionError})`);
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
      if (statusCode < 200 || statusCode > 299) throw new WebhookFailure(`it answered HTTP ${statusCode}`);
      return typeof answer === 'string' ? answer : JSON.stringify(answer ?? null);
    }
    return text;
  }
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new WebhookFailure(`its answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new WebhookFailure(`its answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
