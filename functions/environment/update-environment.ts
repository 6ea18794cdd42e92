import { updateEnvironment } from '../../src/domain/environments';
import { json } from '../../src/http/handler';
import { environmentDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { updateEnvironmentBody } from '../../src/http/management-schemas';

/** `PATCH /v1/environment`: e.g. the service-account token lifetime, applied to the next token. */
export const handler = managementHandler(async (event, caller) => json(200, await updateEnvironment(environmentDeps(), caller, jsonBody(event, updateEnvironmentBody))));
