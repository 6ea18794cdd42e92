import { getInteractionRequest } from '../../src/domain/login/interaction-requests';
import { json } from '../../src/http/handler';
import { interactionDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/login-requests/{challenge}`: what the waiting login request asks for (needs LOGIN_REQUESTS_ACCEPT). */
export const handler = managementHandler(async (event, caller) => json(200, await getInteractionRequest(interactionDeps(), caller, 'login', pathParameter(event, 'challenge'))));
