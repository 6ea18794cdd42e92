import { ENV, issuer } from '../../src/config';
import { openidConfiguration } from '../../src/domain/discovery';
import { httpHandler, json } from '../../src/http/handler';

const metadata = openidConfiguration(issuer(), process.env[ENV.mtlsBaseUrl] || undefined);

/** `/.well-known/openid-configuration` and RFC 8414 `/.well-known/oauth-authorization-server`: the same metadata. */
export const handler = httpHandler({ errors: 'problem', cacheControl: 'public, max-age=3600' }, async () => json(200, metadata));
