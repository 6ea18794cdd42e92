import { decodeJwt } from 'jose';
import { clientAuthenticationThrottleDeps } from '../composition/dependencies';
import { evaluateAtOnce, throttleClientAuthentication, type BeforeEvaluating } from '../domain/authentication-throttle';
import { isRegistryClientId, type PresentedClientCredentials } from '../domain/clients/authentication';
import { CLIENT_ASSERTION_TYPE } from '../domain/clients/client-assertion';
import { InvalidClient, InvalidRequest } from '../domain/errors';
import { parseClientId } from '../domain/ids';
import { auditFailedClientAuthentication } from './audit';
import { readClientSecret } from './client-credentials';
import type { HttpEvent } from './handler';
import { logger } from './observability';
import { clientAddress, header } from './request';

/**
 * Reads how a client authenticates at the token endpoint, beyond the secret methods that
 * `client-credentials.ts` reads:
 * - `client_assertion_type` + `client_assertion` (RFC 7523 §2.2): `private_key_jwt`. `client_id` is
 *   optional; without it the assertion's (still unverified) `sub` names the client.
 * - `client_id` of a registry client with neither a secret nor an assertion: self-signed mutual TLS
 *   (RFC 8705 §2.2); the certificate is the one API Gateway's mutual TLS put in the request context,
 *   never a header a client could set.
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
  if (authorization === undefined && !form.has('client_secret') && clientId && isRegistryClientId(clientId)) {
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
 * Runs a client authentication (and what follows it) under the failed-authentication throttle;
 * the authentication calls `beforeEvaluating` between reading the client and evaluating its credentials.
 */
export type ClientAuthenticationThrottle = <T>(clientId: string, authenticate: (beforeEvaluating: BeforeEvaluating) => Promise<T>) => Promise<T>;

/**
 * The one throttle of client authentication (`src/domain/authentication-throttle.ts`), for the
 * token endpoint, introspection, revocation and GraphQL `authenticateServiceAccount`: counted per
 * client ID and the client's address (`clientAddress`: the address API Gateway saw, or behind
 * Latchkey's CloudFront distribution the viewer address CloudFront reports; never a header the client sets). A client ID that is not a Latchkey client ID is refused without
 * evaluating anything, so it is not counted.
 *
 * Every failed authentication is logged as a warning `client authentication failed` with the client
 * ID and the source address, for the runbook's Logs Insights query; never the secret, and a client
 * ID only when it has the shape of one (a client that swapped its fields would log its secret).
 * Attempts refused with 429 are not logged one by one: the `ClientAuthenticationThrottled` metric counts them.
 */
export function clientAuthenticationThrottle(event: HttpEvent): ClientAuthenticationThrottle {
  const address = clientAddress(event) ?? 'unknown';
  return async <T>(clientId: string, authenticate: (beforeEvaluating: BeforeEvaluating) => Promise<T>): Promise<T> => {
    const wellFormed = parseClientId(clientId) !== undefined;
    // The credentials the throttle let through to evaluation and that were refused: each such
    // failure leaves an audit event. A 429 refused before evaluation does not (a metric counts it),
    // and a client that authenticates costs the audit log nothing.
    let refused: InvalidClient | undefined;
    const evaluated = (beforeEvaluating: BeforeEvaluating): Promise<T> =>
      authenticate(beforeEvaluating).catch((error: unknown) => {
        if (error instanceof InvalidClient) refused = error;
        throw error;
      });
    try {
      return wellFormed ? await throttleClientAuthentication(clientAuthenticationThrottleDeps(), { clientId, address }, evaluated) : await authenticate(evaluateAtOnce);
    } catch (error) {
      if (error instanceof InvalidClient) {
        logger.warn('client authentication failed', {
          ...(wellFormed ? { clientId } : { clientId: 'malformed' }),
          sourceIp: address,
          ...(error.internalDetail ? { reason: error.internalDetail } : {}),
        });
      }
      if (refused) await auditFailedClientAuthentication(event, clientId, refused.code);
      throw error;
    }
  };
}
