import { applicationDeps } from '../../src/composition/dependencies';
import { updateApplication } from '../../src/domain/applications';
import { updateApplicationBody } from '../../src/http/application-schemas';
import { json } from '../../src/http/handler';
import { managementHandler, pathParameter } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `PATCH /v1/applications/{id}`: `webhook` is replaced as a whole; `"webhook": null` removes it. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateApplication(applicationDeps(), caller, pathParameter(event, 'id'), jsonBody(event, updateApplicationBody))),
);
