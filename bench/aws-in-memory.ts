import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * AWS answered from memory, for measuring a handler's own CPU: every SDK client in this process
 * sends through the one Node request handler class, whose `handle` is replaced here. While
 * `recording`, requests go to the real endpoint (the local stand-ins) and each answer is kept; while
 * `replaying`, the same request is answered from memory (a request not seen before gets the last
 * answer to its operation), so the SDK still serializes, signs and parses, and no socket is used.
 * Every request is counted by operation (`DynamoDB.Query`, `KMS.Sign`, ...), with its sizes, which
 * the cost model turns into request units.
 */

interface SdkRequest {
  headers: Record<string, string>;
  body?: unknown;
  hostname?: string;
}
interface SdkResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}
type Handle = (request: SdkRequest, options?: unknown) => Promise<{ response: SdkResponse }>;

export interface CallRecord {
  count: number;
  requestBytes: number;
  responseBytes: number;
  /** Reads that asked for strong consistency (DynamoDB). */
  consistentReads: number;
  /** Calls on the audit log's records (keys `AUDIT#…`, `AUDIT_HEAD`): what auditing costs the scenario. */
  auditCalls: number;
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class InMemoryAws {
  mode: 'recording' | 'replaying' = 'recording';
  private readonly answers = new Map<string, Answer>();
  private readonly lastAnswer = new Map<string, Answer>();
  private calls = new Map<string, CallRecord>();
  private readonly original: Handle;
  private readonly prototype: { handle: Handle };

  constructor() {
    // The request handler class every client uses; taken from a client, so the bench depends on no SDK internals' package.
    const probe = new DynamoDBClient({ region: 'us-east-1' });
    this.prototype = Object.getPrototypeOf(probe.config.requestHandler) as { handle: Handle };
    probe.destroy();
    this.original = this.prototype.handle;
    // The patched function needs both the handler it is called on (`this`) and this interceptor.
    const self = this;
    this.prototype.handle = function patched(this: unknown, request: SdkRequest, options?: unknown) {
      return self.handle(request, (r) => self.original.call(this, r, options));
    };
  }

  /** Puts the SDK's own request handler back. */
  restore(): void {
    this.prototype.handle = this.original;
  }

  /** Calls since the last reset, by operation. */
  takeCalls(): Map<string, CallRecord> {
    const calls = this.calls;
    this.calls = new Map();
    return calls;
  }

  private async handle(request: SdkRequest, send: (request: SdkRequest) => Promise<{ response: SdkResponse }>): Promise<{ response: SdkResponse }> {
    const operation = operationOf(request);
    // The bytes as they are: `Buffer.from(body)` would call the SDK body's `valueOf`, a string method it warns about.
    const bytes = request.body instanceof Uint8Array ? Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength) : undefined;
    const body = typeof request.body === 'string' ? request.body : bytes ? bytes.toString('utf8') : '';
    const key = `${operation} ${body}`;
    let answer: Answer | undefined;
    if (this.mode === 'replaying') {
      answer = this.answers.get(key) ?? this.lastAnswer.get(operation);
      if (!answer) throw new Error(`no recorded answer for ${operation}; warm the scenario up while recording`);
    } else {
      const { response } = await send(request);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      answer = { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
      this.answers.set(key, answer);
      this.lastAnswer.set(operation, answer);
    }
    const record = this.calls.get(operation) ?? { count: 0, requestBytes: 0, responseBytes: 0, consistentReads: 0, auditCalls: 0 };
    record.count++;
    record.requestBytes += Buffer.byteLength(body);
    record.responseBytes += answer.body.length;
    if (/"ConsistentRead":true/.test(body)) record.consistentReads++;
    if (/"AUDIT[#_]/.test(body)) record.auditCalls++;
    this.calls.set(operation, record);
    return { response: { statusCode: answer.statusCode, headers: { ...answer.headers }, body: Readable.from([answer.body]) } };
  }
}

/** `DynamoDB.Query`, `KMS.Sign`, `SecretsManager.GetSecretValue`, `Lambda.Invoke`. */
function operationOf(request: SdkRequest): string {
  const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
  if (target) {
    const [service = '', operation = ''] = target.split('.');
    const name = service.startsWith('DynamoDB') ? 'DynamoDB' : service === 'TrentService' ? 'KMS' : service === 'secretsmanager' ? 'SecretsManager' : service;
    return `${name}.${operation}`;
  }
  return `${request.hostname ?? 'unknown'}.request`;
}
