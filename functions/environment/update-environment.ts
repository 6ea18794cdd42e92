import { updateEnvironment } from '../../src/domain/environments';
import { json } from '../../src/http/handler';
import { managementDeps, managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { updateEnvironmentBody } from '../../src/http/management-schemas';

/** `PATCH /v1/environment`: e.g. the service-account token lifetime (SA-6), applied to the next token. */
export const handler = managementHandler(async (event, caller) =>
  json(200, await updateEnvironment(managementDeps(), caller, jsonBody(event, updateEnvironmentBody))),
);
