import { deleteResource } from '../../src/domain/resources';
import { resourceDeps } from '../../src/composition/dependencies';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/resources/{key}`: grants on it are no longer carried in new tokens. */
export const handler = managementHandler(async (event, caller) => {
  await deleteResource(resourceDeps(), caller, pathParameter(event, 'key'));
  return { statusCode: 204 };
});
