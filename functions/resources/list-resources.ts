import { listResources } from '../../src/domain/resources';
import { json } from '../../src/http/handler';
import { resourceDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';

/** `GET /v1/resources`: the built-in `latchkey` resource first, then the environment's own. */
export const handler = managementHandler(async (_event, caller) => json(200, { items: await listResources(resourceDeps(), caller) }));
