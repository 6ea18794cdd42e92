import { applicationDeps } from '../../src/composition/dependencies';
import { listApplications } from '../../src/domain/applications';
import { json } from '../../src/http/handler';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { pageQuery } from '../../src/http/management-schemas';

/** `GET /v1/applications?limit=&cursor=`: one page; pass `cursor` back for the next. */
export const handler = managementHandler(async (event, caller) => json(200, await listApplications(applicationDeps(), caller, queryParams(event, pageQuery))));
