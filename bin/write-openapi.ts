import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiJson } from '../src/openapi/document';

/** `npm run openapi`: writes docs/openapi.json, the document `GET /openapi.json` serves. */
const target = join(import.meta.dirname, '..', 'docs', 'openapi.json');
writeFileSync(target, openApiJson());
console.log(`wrote ${target}`);
