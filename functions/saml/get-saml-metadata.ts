import { samlRegistryDeps } from '../../src/composition/dependencies';
import { samlMetadata } from '../../src/domain/clients/saml-clients';
import { SAML_METADATA_CONTENT_TYPE } from '../../src/domain/saml/metadata';
import { httpHandler } from '../../src/http/handler';
import { pathParameter } from '../../src/http/management';

/** `GET /saml/{clientId}/metadata` (public): the IdP metadata a service provider loads. */
export const handler = httpHandler({ errors: 'problem', cacheControl: 'public, max-age=300' }, async (event) => ({
  statusCode: 200,
  headers: { 'content-type': SAML_METADATA_CONTENT_TYPE },
  body: await samlMetadata(samlRegistryDeps(), pathParameter(event, 'clientId')),
}));
