import { upstreamDeps } from '../../src/composition/dependencies';
import { chooseUpstream } from '../../src/domain/login/upstream';
import { browserState } from '../../src/http/browser-cookies';
import { httpHandler, type HttpResult } from '../../src/http/handler';
import { logger } from '../../src/http/observability';
import { upstreamChoiceQuery } from '../../src/http/federation-schemas';
import { queryParams } from '../../src/http/request';
import { upstreamChoicePage } from '../../src/http/upstream-choice-page';

/**
 * `GET /oauth/v2/idp/login`: the choice page of an application without `loginUrl` and with several
 * upstream identity providers; with `email` or `connection`, the browser goes to the one chosen.
 */
export const handler = httpHandler({ errors: 'browser', metrics: 'UpstreamChoices' }, async (event): Promise<HttpResult> => {
  const query = queryParams(event, upstreamChoiceQuery);
  const choice = await chooseUpstream(
    upstreamDeps(),
    {
      environmentId: query.environment,
      requestId: query.request,
      ...(query.email !== undefined ? { email: query.email } : {}),
      ...(query.connection !== undefined ? { connectionId: query.connection } : {}),
    },
    browserState(event),
  );
  if ('page' in choice) return upstreamChoicePage(choice);
  if (choice.failure) logger.warn('upstream login failed', { code: choice.failure.code, detail: choice.failure.message });
  return { statusCode: 303, headers: { location: choice.location } };
});
