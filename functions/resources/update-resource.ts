import { updateResource } from '../../src/domain/resources';
import { json } from '../../src/http/handler';
import { resourceDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { updateResourceBody } from '../../src/http/resource-schemas';

/** `PATCH /v1/resources/{key}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateResource(resourceDeps(), caller, pathParameter(event, 'key'), jsonBody(event, updateResourceBody))),
);
