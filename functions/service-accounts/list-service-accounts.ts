import { listServiceAccounts } from '../../src/domain/service-accounts';
import { json } from '../../src/http/handler';
import { serviceAccountDeps } from '../../src/composition/dependencies';
import { managementHandler } from '../../src/http/management';
import { queryParams } from '../../src/http/request';
import { pageQuery } from '../../src/http/management-schemas';

/** `GET /v1/service-accounts?limit=&cursor=`: one page; pass `cursor` back for the next. */
export const handler = managementHandler(async (event, caller) => json(200, await listServiceAccounts(serviceAccountDeps(), caller, queryParams(event, pageQuery))));
