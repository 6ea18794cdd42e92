import { rejectInteractionRequest } from '../../src/domain/login/interaction-requests';
import { json } from '../../src/http/handler';
import { interactionDeps } from '../../src/composition/dependencies';
import { rejectBody } from '../../src/http/interaction-schemas';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/login-requests/{challenge}/reject` `{error, errorDescription?}`: answers `{redirectTo}`, where the client learns the error. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await rejectInteractionRequest(interactionDeps(), caller, 'login', pathParameter(event, 'challenge'), jsonBody(event, rejectBody))),
);
