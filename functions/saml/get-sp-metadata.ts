import { samlSpMetadataDeps } from '../../src/composition/dependencies';
import { SAML_METADATA_CONTENT_TYPE } from '../../src/domain/saml/metadata';
import { serviceProviderMetadata } from '../../src/domain/federation/saml/upstream';
import { httpHandler } from '../../src/http/handler';
import { pathParameter } from '../../src/http/management';

/** `GET /saml/sp/{connectionId}/metadata` (public): a SAML connection's SP metadata, for its IdP administrator. */
export const handler = httpHandler({ errors: 'problem', cacheControl: 'public, max-age=300' }, async (event) => ({
  statusCode: 200,
  headers: { 'content-type': SAML_METADATA_CONTENT_TYPE },
  body: await serviceProviderMetadata(samlSpMetadataDeps(), pathParameter(event, 'connectionId')),
}));
