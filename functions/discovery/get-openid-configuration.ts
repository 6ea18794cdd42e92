import { issuer } from '../../src/config';
import { openidConfiguration } from '../../src/domain/discovery';
import { httpHandler, json } from '../../src/http/handler';

const metadata = openidConfiguration(issuer());

export const handler = httpHandler({ errors: 'problem', cacheControl: 'public, max-age=3600' }, async () =>
  json(200, metadata),
);
