import { InvalidClient, InvalidRequest } from '../domain/errors';
import type { HttpEvent } from './handler';
import { header } from './request';

/**
 * Reads how an OAuth client authenticates at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3.1): HTTP Basic, or `client_id` and `client_secret` in the form. Using both at once
 * is refused, as RFC 6749 requires.
 */
export interface PresentedClientSecret {
  readonly method: 'client_secret_basic' | 'client_secret_post';
  readonly clientId: string;
  readonly clientSecret: string;
}

export function readClientSecret(event: HttpEvent, form: URLSearchParams): PresentedClientSecret {
  const authorization = header(event, 'authorization');
  const formId = form.get('client_id');
  const formSecret = form.get('client_secret');
  if (authorization !== undefined) {
    if (formSecret !== null) throw new InvalidRequest('authenticate the client with the Authorization header or the form, not both');
    const basic = parseBasic(authorization);
    if (formId !== null && formId !== basic.clientId) throw new InvalidRequest('client_id does not match the Authorization header');
    return { method: 'client_secret_basic', ...basic };
  }
  if (formId === null || formSecret === null) {
    throw new InvalidClient('no client credentials: send HTTP Basic or client_id and client_secret');
  }
  if (!formId || !formSecret) throw new InvalidClient('empty client_id or client_secret');
  return { method: 'client_secret_post', clientId: formId, clientSecret: formSecret };
}

function parseBasic(authorization: string): { clientId: string; clientSecret: string } {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
  if (!match) throw new InvalidRequest('the Authorization header must be "Basic" followed by base64 of client_id:client_secret');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) {
    throw new InvalidRequest('the Basic credentials must be base64 of client_id:client_secret');
  }
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}

/** RFC 6749 §2.3.1 form-encodes both values before base64; clients that do not are read as sent. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
