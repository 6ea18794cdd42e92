import { decodeJwt } from 'jose';
import { tokenEndpointDeps } from '../composition/dependencies';
import type { PresentedClientCredentials } from '../domain/clients/authentication';
import { CLIENT_ASSERTION_TYPE } from '../domain/clients/client-assertion';
import { InvalidClient, InvalidRequest } from '../domain/errors';
import { parseClientId } from '../domain/ids';
import {
  authenticateOAuthClient as authenticate,
  throttledClientAuthentication,
  type ClientAuthenticationThrottle,
  type ClientRequest,
  type OAuthClient,
} from '../domain/token-endpoint';
import { auditFailedClientAuthentication } from './audit';
import type { HttpEvent } from './handler';
import { clientAddress, header } from './request';

/**
 * The HTTP side of client authentication: reading the credentials a request presents, and where it
 * came from. Authenticating them, the throttle, the log and the audit of refusals are the token
 * endpoint's (src/domain/token-endpoint.ts).
 */

/**
 * Where the request came from (`clientAddress`: the address API Gateway saw, or behind Latchkey's
 * CloudFront distribution the viewer address CloudFront reports; never a header the client sets), and
 * the audit event of a refused client authentication, which names the request's origin.
 */
export function clientRequest(event: HttpEvent): ClientRequest {
  return {
    sourceIp: clientAddress(event) ?? 'unknown',
    auditRefusal: (clientId, errorCode) => auditFailedClientAuthentication(event, clientId, errorCode),
  };
}

/** Introspection and revocation: the client the request's credentials authenticate (see the token endpoint). */
export function authenticateOAuthClient(event: HttpEvent, form: URLSearchParams, options: { publicClients?: boolean } = {}): Promise<OAuthClient> {
  return authenticate(tokenEndpointDeps(), clientRequest(event), readClientAuthentication(event, form), options);
}

/** GraphQL `authenticateServiceAccount`: the token endpoint's throttle, for this request. */
export function clientAuthenticationThrottle(event: HttpEvent): ClientAuthenticationThrottle {
  return throttledClientAuthentication(tokenEndpointDeps(), clientRequest(event));
}

/**
 * Reads how a client authenticates at the token, introspection and revocation endpoints, beyond
 * the secret methods that `readClientSecret` below reads:
 * - `client_assertion_type` + `client_assertion` (RFC 7523 §2.2): `private_key_jwt`. `client_id` is
 *   optional; without it the assertion's (still unverified) `sub` names the client.
 * - `client_id` of a registry client with neither a secret nor an assertion: self-signed mutual TLS
 *   (RFC 8705 §2.2); the certificate is the one API Gateway's mutual TLS put in the request context,
 *   never a header a client could set. A service account's alone is read the same way, so the
 *   chain can say which methods the account is registered for.
 * One method per request: an assertion together with a secret or an Authorization header is refused.
 */
export function readClientAuthentication(event: HttpEvent, form: URLSearchParams): PresentedClientCredentials {
  const assertion = form.get('client_assertion');
  const assertionType = form.get('client_assertion_type');
  const authorization = header(event, 'authorization');
  if (assertion !== null || assertionType !== null) {
    if (authorization !== undefined || form.has('client_secret')) throw new InvalidRequest('authenticate the client with one method per request');
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw new InvalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    if (!assertion) throw new InvalidRequest('client_assertion is required with client_assertion_type');
    return { method: 'private_key_jwt', clientId: form.get('client_id') ?? assertionSubject(assertion), assertion };
  }
  const clientId = form.get('client_id');
  if (authorization === undefined && !form.has('client_secret') && clientId && parseClientId(clientId)) {
    const certificatePem = event.requestContext.authentication?.clientCert?.clientCertPem;
    return { method: 'self_signed_tls_client_auth', clientId, ...(certificatePem ? { certificatePem } : {}) };
  }
  return readClientSecret(event, form);
}

function assertionSubject(assertion: string): string {
  try {
    const { sub } = decodeJwt(assertion);
    if (typeof sub === 'string' && sub) return sub;
  } catch {
    // fall through
  }
  throw new InvalidClient('client_assertion is not a JWT with a sub claim');
}

/**
 * Reads how an OAuth client authenticates at the token, introspection and revocation endpoints
 * (RFC 6749 §2.3.1): HTTP Basic, or `client_id` and `client_secret` in the form. Using both at once
 * is refused, as RFC 6749 requires.
 */
interface PresentedClientSecret {
  readonly method: 'client_secret_basic' | 'client_secret_post';
  readonly clientId: string;
  readonly clientSecret: string;
}

function readClientSecret(event: HttpEvent, form: URLSearchParams): PresentedClientSecret {
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
