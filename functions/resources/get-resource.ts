import { getResource } from '../../src/domain/resources';
import { json } from '../../src/http/handler';
import { managementDeps, managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/resources/{key}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getResource(managementDeps(), caller, pathParameter(event, 'key'))),
);
