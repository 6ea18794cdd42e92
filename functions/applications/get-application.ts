import { applicationStore } from '../../src/adapters/from-environment';
import { getApplication } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `GET /v1/applications/{id}` */
export const handler = managementHandler(async (event, caller) =>
  json(200, await getApplication({ applications: applicationStore() }, caller, pathParameter(event, 'id'))),
);
