import { httpHandler } from '../../src/http/handler';
import { openApiJson } from '../../src/openapi/document';

// Built once per container: the document depends on the code only, never on the request.
const document = openApiJson();

/** `GET /openapi.json`: the OpenAPI 3.1 document of the API, the same bytes as docs/openapi.json. */
export const handler = httpHandler({ errors: 'problem', cacheControl: 'public, max-age=3600' }, async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: document,
}));
