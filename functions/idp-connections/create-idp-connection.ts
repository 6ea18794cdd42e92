import { idpConnectionDeps } from '../../src/composition/dependencies';
import { createIdpConnection } from '../../src/domain/idp-connections';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { jsonBody } from '../../src/http/request';
import { createIdpConnectionBody } from '../../src/http/management-schemas';

/** `POST /v1/idp-connections`: at most one `delegated` connection per environment (409 for a second). */
export const handler = managementHandler(async (event, caller) => json(201, await createIdpConnection(idpConnectionDeps(), caller, jsonBody(event, createIdpConnectionBody))));
