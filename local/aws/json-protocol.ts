// Shared plumbing for the local stand-ins of JSON 1.1 APIs (KMS, Secrets Manager):
// request dispatch on X-Amz-Target, error shapes the SDK understands, field
// validation and atomic JSON-file persistence.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { join } from 'node:path';

export const LOCAL_ACCOUNT_ID = '000000000000';

export type JsonObject = Record<string, unknown>;
export type OperationHandler = (input: JsonObject) => JsonObject | Promise<JsonObject>;
/** Operations of one service, keyed by operation name (e.g. `Sign`). */
export type AwsJsonService = Readonly<Record<string, OperationHandler>>;
/** Services keyed by X-Amz-Target prefix (e.g. `TrentService`, `secretsmanager`). */
export type AwsJsonServices = Readonly<Record<string, AwsJsonService>>;

/** Thrown by operation handlers; `type` becomes the SDK exception `name`. */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
// Far above any legitimate request to these APIs; stops a runaway client from exhausting memory.
const MAX_BODY_BYTES = 1024 * 1024;

export function createAwsJsonListener(services: AwsJsonServices): RequestListener {
  return (req, res) => {
    void handle(services, req, res);
  };
}

async function handle(services: AwsJsonServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  try {
    const body = await readBody(req);
    const output = await dispatch(services, req, body);
    send(res, 200, requestId, output);
  } catch (err) {
    if (!(err instanceof AwsJsonError)) console.error('[local-aws] internal error', err);
    const error = err instanceof AwsJsonError ? err : new AwsJsonError('InternalFailure', 'Internal server error.', 500);
    send(res, error.statusCode, requestId, { __type: error.type, message: error.message }, error.type);
  }
}

async function dispatch(services: AwsJsonServices, req: IncomingMessage, body: string): Promise<JsonObject> {
  const target = req.headers['x-amz-target'];
  const [prefix, operation, ...rest] = typeof target === 'string' ? target.split('.') : [];
  const service = prefix === undefined ? undefined : services[prefix];
  const handler = service && operation && rest.length === 0 && Object.hasOwn(service, operation) ? service[operation] : undefined;
  if (req.method !== 'POST' || !handler) {
    throw new AwsJsonError('UnknownOperationException', `Unknown operation ${String(target ?? '(no X-Amz-Target)')}.`);
  }
  // Signatures are deliberately NOT verified (any access key works locally), but an
  // unsigned request is rejected like AWS does so a misconfigured client fails here too.
  if (!req.headers.authorization) {
    throw new AwsJsonError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  return handler(parseBody(body));
}

function parseBody(body: string): JsonObject {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsJsonError('SerializationException', 'Request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw new AwsJsonError('SerializationException', 'Request body must be a JSON object.');
  return parsed;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining so the response can still be written, but stop buffering.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new AwsJsonError('ValidationException', 'Request body is too large.', 413));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, requestId: string, body: JsonObject, errorType?: string): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(payload);
}

// ---- input validation helpers shared by the services ----

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalString(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsJsonError('ValidationException', `${field} must be a string.`);
  return value;
}

export function requireString(input: JsonObject, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined || value === '') {
    throw new AwsJsonError('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function optionalNumber(input: JsonObject, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsJsonError('ValidationException', `${field} must be an integer.`);
  return value;
}

export function optionalBoolean(input: JsonObject, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsJsonError('ValidationException', `${field} must be a boolean.`);
  return value;
}

/** Decodes a blob member, which the JSON protocol carries as base64. */
export function requireBlob(input: JsonObject, field: string): Buffer {
  const value = requireString(input, field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new AwsJsonError('SerializationException', `${field} is not valid base64.`);
  }
  return Buffer.from(value, 'base64');
}

export function nowEpochSeconds(): number {
  return Date.now() / 1000;
}

/** Offset-based pagination; the opaque marker is simply the next index. */
export function paginate<T>(items: T[], input: JsonObject, markerField: string): { page: T[]; next?: string } {
  const limit = optionalNumber(input, 'Limit') ?? optionalNumber(input, 'MaxResults') ?? 100;
  const marker = optionalString(input, markerField);
  const start = marker === undefined ? 0 : Number.parseInt(marker, 10);
  if (!Number.isInteger(start) || start < 0 || limit < 1) throw new AwsJsonError('ValidationException', `Invalid ${markerField} or limit.`);
  const page = items.slice(start, start + limit);
  return start + limit < items.length ? { page, next: String(start + limit) } : { page };
}

// ---- persistence ----

/** Loads `<dataDir>/<file>`; a missing file yields `initial`, a corrupt one throws rather than losing keys. */
export function loadState<T>(dataDir: string, file: string, initial: T): T {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, file);
  if (!existsSync(path)) return initial;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`Cannot read local AWS state ${path}: ${(err as Error).message}`);
  }
}

/** Writes via temp file + rename so a crash never leaves a half-written state file. */
export function saveState(dataDir: string, file: string, state: unknown): void {
  const path = join(dataDir, file);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600); // mode above only applies when the temp file is new
  renameSync(tmp, path);
}
