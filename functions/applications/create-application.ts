import { applicationDeps } from '../../src/composition/dependencies';
import { createApplication } from '../../src/domain/applications';
import { createApplicationBody } from '../../src/http/application-schemas';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';

/** `POST /v1/applications`: name, end-user token lifetime and, optionally, an enrichment webhook. */
export const handler = managementHandler(async (event, caller) => json(201, await createApplication(applicationDeps(), caller, jsonBody(event, createApplicationBody))));
