import { idpConnectionStore } from '../../src/adapters/from-environment';
import { deleteIdpConnection } from '../../src/domain/idp-connections';
import { managementHandler, pathParameter } from '../../src/http/management';

/** `DELETE /v1/idp-connections/{id}`: a new connection is a new key space: its subjects become new users. */
export const handler = managementHandler(async (event, caller) => {
  await deleteIdpConnection({ connections: idpConnectionStore() }, caller, pathParameter(event, 'id'));
  return { statusCode: 204 };
});
