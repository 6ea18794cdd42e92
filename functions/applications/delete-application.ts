import { applicationDeps } from '../../src/composition/dependencies';
import { deleteApplication } from '../../src/domain/applications';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/applications/{id}`: its webhook secret goes with it; its end users stay in the environment. */
export const handler = managementHandler(async (event, caller) => {
  await deleteApplication(applicationDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
