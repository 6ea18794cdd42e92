import { idpConnectionDeps } from '../../src/composition/dependencies';
import { listIdpConnections } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';

/** `GET /v1/idp-connections`: an environment has a handful at most, so no paging. */
export const handler = managementHandler(async (_event, caller) => json(200, { items: await listIdpConnections(idpConnectionDeps(), caller) }));
