import { isIP } from 'node:net';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { behindCloudFront } from '../config';
import { InvalidRequest, PayloadTooLarge, UnsupportedMediaType, type FieldProblem } from '../domain/errors';
import { noteChangedFields } from './audit-context';
import type { HttpEvent } from './handler';

/**
 * Reading requests at the edge. Every body goes through one of these functions, so every malformed,
 * oversized or mistyped request is refused the same way, before any domain code or write runs.
 */

/**
 * zod/mini ships no messages: English is configured once, here, where every body and query is
 * validated, on the first validation so that handlers which never validate do not bundle it. An
 * unknown field keeps the wording clients have always seen.
 */
let messagesConfigured = false;
function configureMessages(): void {
  if (messagesConfigured) return;
  messagesConfigured = true;
  z.config({
    ...en(),
    customError: (issue) => (issue.code === 'unrecognized_keys' ? `Unrecognized key(s) in object: ${issue.keys.map((key) => `'${key}'`).join(', ')}` : undefined),
  });
}

/** Management and OAuth bodies are small; anything larger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The header CloudFront adds with the address and port the viewer connected from. */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

/**
 * The address the client called from: the one place the throttle of client authentication, the
 * audit log and the logs read it. Behind Latchkey's CloudFront distribution (context `apiWaf=true`,
 * `LATCHKEY_BEHIND_CLOUDFRONT`) API Gateway sees only CloudFront's edge servers, which every client
 * shares, so the viewer's address comes from CloudFront's `CloudFront-Viewer-Address` header. Only
 * then: without CloudFront in front, that header is whatever the client wrote, and the address is the
 * one API Gateway saw (`requestContext.http.sourceIp`). A header that is not one address and port
 * (two values joined, a name, garbage) is not believed either.
 */
export function clientAddress(event: HttpEvent): string | undefined {
  if (behindCloudFront()) {
    const viewer = viewerAddress(header(event, VIEWER_ADDRESS_HEADER));
    if (viewer) return viewer;
  }
  return event.requestContext?.http?.sourceIp || undefined;
}

/**
 * The address of a `CloudFront-Viewer-Address` value: `203.0.113.7:46532`, or an IPv6 address
 * followed by `:port` without brackets (`2001:db8::1:46532`; the port is what follows the last
 * colon). Brackets (`[2001:db8::1]:46532`) are read too. Anything else is `undefined`.
 */
export function viewerAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const port = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return undefined;
  let address = text.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const version = isIP(address);
  if (version === 4) return address;
  // An IPv6 address with a zone (`fe80::1%eth0`) is not one a viewer on the internet has.
  if (version === 6 && !address.includes('%')) return address.toLowerCase();
  return undefined;
}

/**
 * The body as text. A body that is not valid UTF-8 is refused rather than read with U+FFFD in place
 * of its bad bytes: the replacement would be stored as if the client had sent it. API Gateway hands
 * such a body over base64-encoded, as it does any body that is not text.
 */
export function rawBody(event: HttpEvent): string {
  if (event.body === undefined || event.body === null) return '';
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new InvalidRequest(NOT_UTF8);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NOT_UTF8 = 'the request body is not valid UTF-8';

/**
 * A form body whose percent-encoded bytes are not UTF-8 (`name=%FF`): `URLSearchParams` would
 * read them as U+FFFD. A `%` that starts no escape is left to `URLSearchParams`, which keeps it as is.
 */
function formParameters(text: string): URLSearchParams {
  try {
    decodeURIComponent(text.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    throw new InvalidRequest(NOT_UTF8);
  }
  return new URLSearchParams(text);
}

function mediaType(event: HttpEvent): string {
  return (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON body and validates it with a schema; an absent body counts as `{}` when allowed. */
export function jsonBody<S extends z.core.$ZodType>(event: HttpEvent, schema: S, options: { optional?: boolean } = {}): z.output<S> {
  const text = rawBody(event);
  let value: unknown = {};
  if (text.trim() !== '') {
    const type = mediaType(event);
    if (type !== 'application/json' && !type.endsWith('+json')) throw new UnsupportedMediaType('application/json');
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidRequest('the request body is not valid JSON');
    }
  } else if (!options.optional) {
    throw new InvalidRequest('a JSON request body is required');
  }
  const body = validate(schema, value, 'request body');
  // The audit event of a change names the fields it set (src/http/audit.ts), never their values.
  noteChangedFields(event, body);
  return body;
}

/**
 * Parses an `application/x-www-form-urlencoded` body. A parameter given twice is refused (RFC 6749
 * §3.2) unless it is one of `repeatable` (such as RFC 8707's `resource`).
 */
export function formBody(event: HttpEvent, repeatable: readonly string[] = []): URLSearchParams {
  const text = rawBody(event);
  if (mediaType(event) !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  const form = formParameters(text);
  const seen = new Set<string>();
  for (const key of form.keys()) {
    if (seen.has(key) && !repeatable.includes(key)) throw new InvalidRequest(`parameter "${key}" must not be repeated`);
    seen.add(key);
  }
  return form;
}

export function queryParams<S extends z.core.$ZodType>(event: HttpEvent, schema: S): z.output<S> {
  return validate(schema, event.queryStringParameters ?? {}, 'query string');
}

export function validate<S extends z.core.$ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  configureMessages();
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  // zod 4 still runs length checks on a value of the wrong type ("expected string, received array",
  // then "must not be empty"); for such a value only the type is worth reporting.
  const pathOf = (issue: z.core.$ZodIssue) => issue.path.map(String).join('.');
  const wrongType = new Set(result.error.issues.filter((issue) => issue.code === 'invalid_type').map(pathOf));
  const fields: FieldProblem[] = result.error.issues
    .filter((issue) => issue.code === 'invalid_type' || !wrongType.has(pathOf(issue)))
    .map((issue) => ({ path: pathOf(issue), message: issue.message }));
  const summary = fields.map((field) => (field.path ? `${field.path}: ${field.message}` : field.message)).join('; ');
  throw new InvalidRequest(`invalid ${what}: ${summary}`, { fields });
}

/**
 * The parameters of a browser endpoint (authorization, logout): the query string of a GET, or the
 * form body of a POST (OpenID Connect Core §3.1.2.1). Repeats survive, so the domain can refuse them.
 */
export function authorizationParameters(event: HttpEvent): URLSearchParams {
  if (event.requestContext.http.method === 'POST') {
    const text = rawBody(event);
    if (mediaType(event) !== 'application/x-www-form-urlencoded') throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
    return formParameters(text);
  }
  return new URLSearchParams(event.rawQueryString ?? '');
}
