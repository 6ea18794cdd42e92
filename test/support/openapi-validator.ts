import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

/**
 * Checks an HTTP answer against what an OpenAPI 3.1 document says of it: the response documented
 * for the answer's status (following `$ref`s to `components.responses`), the media type of its
 * `Content-Type`, and the body against that media type's schema (JSON Schema 2020-12, by ajv).
 */

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { responses: Record<string, unknown> } };

export function openApiValidator(document: object) {
  const doc = document as Doc;
  // strict: false, since the schema is the whole document and OpenAPI keywords are not JSON Schema ones.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, 'openapi');
  const compiled = new Map<string, ValidateFunction>();
  const pointer = (...parts: string[]) => `openapi#/${parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

  /** Problems with `answer` as an answer of `method path` (a path of the document): none when it conforms. */
  function problemsOf(method: string, path: string, answer: HttpAnswer): string[] {
    const operation = doc.paths[path]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${path} is not in the document`];
    let response = operation.responses[String(answer.status)] as { $ref?: string; content?: Record<string, unknown> } | undefined;
    let where = ['paths', path, method.toLowerCase(), 'responses', String(answer.status)];
    if (!response) return [`${method} ${path}: status ${answer.status} is not documented (body ${answer.text.slice(0, 300)})`];
    if (response.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      response = doc.components.responses[name] as typeof response;
      where = ['components', 'responses', name];
    }
    return problemsOfResponse(response!, where, answer, `${method} ${path} ${answer.status}`);
  }

  /** Problems with `answer` as the response component `name` (the catch-all route's 404 and 405). */
  function problemsOfComponent(name: string, answer: HttpAnswer): string[] {
    const response = doc.components.responses[name] as { content?: Record<string, unknown> } | undefined;
    if (!response) return [`no response component ${name}`];
    return problemsOfResponse(response, ['components', 'responses', name], answer, `${name} ${answer.status}`);
  }

  return { problemsOf, problemsOfComponent };

  function problemsOfResponse(response: { content?: Record<string, unknown> }, where: string[], answer: HttpAnswer, label: string): string[] {
    if (!response.content) return answer.text === '' ? [] : [`${label}: documented without a body, answered ${answer.text.slice(0, 200)}`];
    const mediaType = (answer.contentType ?? '').split(';')[0]!.trim();
    if (!(mediaType in response.content)) return [`${label}: content type ${mediaType || '(none)'} is not documented (${Object.keys(response.content).join(', ')})`];
    const key = pointer(...where, 'content', mediaType, 'schema');
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile({ $ref: key });
      compiled.set(key, validate);
    }
    const body = /json/.test(mediaType) ? JSON.parse(answer.text) : answer.text;
    return validate(body) ? [] : [`${label}: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`];
  }
}
