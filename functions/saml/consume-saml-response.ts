import { samlAssertionConsumerDeps } from '../../src/composition/dependencies';
import { consumeSamlResponse } from '../../src/domain/federation/saml/upstream';
import { httpHandler, type HttpResult } from '../../src/http/handler';
import { pathParameter } from '../../src/http/management';
import { logger } from '../../src/http/observability';
import { formBody } from '../../src/http/request';

/**
 * `POST /saml/sp/{connectionId}/acs` (SAML profiles §4.1.4.5): the upstream identity provider's
 * Response over the HTTP-POST binding. The login is answered either way and the browser goes back to
 * the authorization endpoint; a failure's detail goes to the log (its code to the audit log), never
 * to the client.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'UpstreamLogins' }, async (event): Promise<HttpResult> => {
  const outcome = await consumeSamlResponse(samlAssertionConsumerDeps(), pathParameter(event, 'connectionId'), formBody(event));
  if (outcome.failure) logger.warn('upstream login failed', { code: outcome.failure.code, detail: outcome.failure.message });
  return { statusCode: 303, headers: { location: outcome.redirectTo, 'cache-control': 'no-store' } };
});
