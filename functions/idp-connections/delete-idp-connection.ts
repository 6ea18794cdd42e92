import { idpConnectionDeps } from '../../src/composition/dependencies';
import { deleteIdpConnection } from '../../src/domain/idp-connections';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/idp-connections/{id}`: a new connection is a new key space: its subjects become new users. */
export const handler = managementHandler(async (event, caller) => {
  await deleteIdpConnection(idpConnectionDeps(), caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
