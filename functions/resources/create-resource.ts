import { createResource } from '../../src/domain/resources';
import { json } from '../../src/http/handler';
import { resourceDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { createResourceBody } from '../../src/http/resource-schemas';

/** `POST /v1/resources`: key and audience are fixed from now on. */
export const handler = managementHandler(async (event, caller) => json(201, await createResource(resourceDeps(), caller, jsonBody(event, createResourceBody))));
