import { acceptLoginRequest } from '../../src/domain/login/interaction-requests';
import { json } from '../../src/http/handler';
import { interactionDeps } from '../../src/composition/dependencies';
import { acceptLoginBody } from '../../src/http/interaction-schemas';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/**
 * `POST /v1/login-requests/{challenge}/accept` `{subjectId, uniqueProfileIdentifier?, email?, name?,
 * remember?, rememberForSeconds?, amr?}`: the application vouches for the end user; answers
 * `{redirectTo}`, where to send the browser next.
 */
export const handler = managementHandler(async (event, caller) =>
  json(200, await acceptLoginRequest(interactionDeps(), caller, pathParameter(event, 'challenge'), jsonBody(event, acceptLoginBody))),
);
