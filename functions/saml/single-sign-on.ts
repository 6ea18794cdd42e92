import { samlSsoDeps } from '../../src/composition/dependencies';
import { receiveAuthnRequest } from '../../src/domain/saml/sso';
import { httpHandler } from '../../src/http/handler';
import { pathParameter } from '../../src/http/management';
import { formBody } from '../../src/http/request';

/**
 * `GET|POST /saml/{clientId}/sso` (SAML profiles §4.1.4.1): an `AuthnRequest` over the HTTP-Redirect
 * (query) or HTTP-POST (form) binding. A checked request sends the browser on to the authorization
 * endpoint, which runs the login; a refused one shows an error page and posts nothing to the SP.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'SamlAuthnRequests' }, async (event) => {
  const post = event.requestContext.http.method === 'POST';
  const rawQuery = event.rawQueryString ?? '';
  const { location } = await receiveAuthnRequest(samlSsoDeps(), pathParameter(event, 'clientId'), {
    binding: post ? 'post' : 'redirect',
    params: post ? formBody(event) : new URLSearchParams(rawQuery),
    rawQuery,
  });
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store' } };
});
