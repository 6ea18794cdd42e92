import { deleteResource } from '../../src/domain/resources';
import { managementDeps, managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/resources/{key}`: grants on it are no longer carried in new tokens. */
export const handler = managementHandler(async (event, caller) => {
  await deleteResource(managementDeps(), caller, pathParameter(event, 'key'));
  return { statusCode: 204 };
});
