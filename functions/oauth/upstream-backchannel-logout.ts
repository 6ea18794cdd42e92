import { upstreamLogoutDeps } from '../../src/composition/dependencies';
import { upstreamBackChannelLogout } from '../../src/domain/federation/upstream-logout';
import { backchannelLogoutQuery } from '../../src/http/federation-schemas';
import { httpHandler } from '../../src/http/handler';
import { formBody, queryParams } from '../../src/http/request';

/**
 * `POST /oauth/v2/idp/backchannel-logout?environment=…&connection=…` (OpenID Connect Back-Channel
 * Logout 1.0 §2.5): an upstream provider says its session ended; the Latchkey sessions it made end
 * too. 200 with no body, or 400 with an OAuth error (§2.8).
 */
export const handler = httpHandler({ errors: 'oauth', metrics: 'UpstreamLogouts' }, async (event) => {
  const query = queryParams(event, backchannelLogoutQuery);
  await upstreamBackChannelLogout(upstreamLogoutDeps(), {
    environmentId: query.environment,
    connectionId: query.connection,
    logoutToken: formBody(event).get('logout_token') ?? undefined,
  });
  return { statusCode: 200, headers: { 'cache-control': 'no-store' } };
});
