import { getEnvironment } from '../../src/domain/environments';
import { json } from '../../src/http/handler';
import { environmentDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';

/** `GET /v1/environment`: the caller's own environment and its settings. */
export const handler = managementHandler(async (_event, caller) => json(200, await getEnvironment(environmentDeps(), caller)));
