import { getResource } from '../../src/domain/resources';
import { json } from '../../src/http/handler';
import { resourceDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/resources/{key}` */
export const handler = managementHandler(async (event, caller) => json(200, await getResource(resourceDeps(), caller, pathParameter(event, 'key'))));
