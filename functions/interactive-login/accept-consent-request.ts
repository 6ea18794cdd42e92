import { acceptConsentRequest } from '../../src/domain/login/interaction-requests';
import { json } from '../../src/http/handler';
import { interactionDeps } from '../../src/composition/dependencies';
import { acceptConsentBody } from '../../src/http/interaction-schemas';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/consent-requests/{challenge}/accept` `{grantScopes, remember?}`: answers `{redirectTo}`. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await acceptConsentRequest(interactionDeps(), caller, pathParameter(event, 'challenge'), jsonBody(event, acceptConsentBody))),
);
