import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE, operations, type Operation } from '../../lib/routes';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { openApiDocument, openApiJson, surfaceOf } from '../../src/openapi/document';
import { REQUEST_SHAPES } from '../../src/openapi/request-schemas';

/** The OpenAPI document: valid OpenAPI 3.1, true to the route table and the request schemas, checked in. */

type Doc = { paths: Record<string, Record<string, any>>; components: Record<string, any> };
const document = openApiDocument() as Doc;
const routed = operations.flatMap((operation) =>
  operation.routes.filter((route) => route !== DEFAULT_ROUTE).map((route) => ({ operation, route: route as { method: string; path: string } })),
);

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    // validate() dereferences in place: give it a copy.
    const validated = await SwaggerParser.validate(structuredClone(document) as never);
    expect((validated as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('fails validation when an operation is broken, so the check above can fail', async () => {
    const broken = structuredClone(document);
    broken.paths['/v1/service-accounts']!.post.responses = { '201': { content: {} } }; // a response without description
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('has every route of the route table, and no other, with its path parameters', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routed.map(({ route }) => `${route.method} ${route.path}`).sort());
    for (const { route } of routed) {
      const parameters = (document.paths[route.path]![route.method.toLowerCase()].parameters ?? []).filter((p: { in: string }) => p.in === 'path');
      expect(parameters.map((p: { name: string }) => p.name)).toEqual([...route.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => name));
    }
  });

  it('has unique operation ids, the operation name for each first route', () => {
    const ids = routed.map(({ route }) => document.paths[route.path]![route.method.toLowerCase()].operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations.filter((o) => o.routes.length > 0 && o.routes[0] !== DEFAULT_ROUTE)) {
      const first = operation.routes[0] as { method: string; path: string };
      expect(document.paths[first.path]![first.method.toLowerCase()].operationId).toBe(operation.name);
    }
  });

  it('asks for a bearer token on the management API and for client authentication on the OAuth endpoints', () => {
    const security = (method: string, path: string) => document.paths[path]![method].security;
    for (const { route } of routed.filter(({ route }) => route.path.startsWith('/v1/'))) expect(security(route.method.toLowerCase(), route.path)).toEqual([{ bearer: [] }]);
    for (const path of ['/oauth/v2/token', '/oauth/v2/introspect', '/oauth/v2/revoke']) {
      expect(security('post', path)).toEqual([{ clientBasic: [] }, { mutualTLS: [] }, {}]);
      const form = document.paths[path]!.post.requestBody.content['application/x-www-form-urlencoded'].schema;
      expect(Object.keys(form.properties)).toEqual(expect.arrayContaining(['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']));
    }
    expect(security('get', '/oauth/v2/userinfo')).toEqual([{ bearer: [] }]);
    expect(security('get', '/openapi.json')).toEqual([{}]);
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.clientBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('describes request bodies with the handlers’ own zod schemas: strict objects, their limits and required fields', () => {
    const body = document.paths['/v1/service-accounts']!.post.requestBody;
    expect(body.required).toBe(true);
    expect(body.content['application/json'].schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, accessTokenType: { enum: ['jwt', 'opaque'] } },
    });
    // An optional body: the handler accepts an empty request.
    expect(document.paths['/v1/service-accounts/{id}/secret']!.post.requestBody.required).toBe(false);
    const limit = document.paths['/v1/service-accounts']!.get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false, schema: { type: 'number' } });
    for (const name of Object.keys(REQUEST_SHAPES))
      expect(
        operations.map((o) => o.name),
        `${name} is not in the route table`,
      ).toContain(name);
  });

  it('answers each surface’s errors in its own shape', () => {
    const responses = (method: string, path: string) => document.paths[path]![method].responses;
    expect(responses('get', '/v1/resources')['400']).toEqual({ $ref: '#/components/responses/Problem' });
    expect(document.components.responses.Problem.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(document.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code']);
    expect(responses('post', '/oauth/v2/token')['401']).toEqual({ $ref: '#/components/responses/OAuthError' });
    expect(responses('post', '/graphql')['400']).toEqual({ $ref: '#/components/responses/GraphqlError' });
    for (const response of ['Gateway413', 'Gateway429', 'ProblemOrGateway503'])
      expect(document.components.responses[response].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GatewayMessage' });
    expect(document.components.responses.MethodNotAllowed.content['application/problem+json']).toBeDefined();
  });

  it('refuses an operation with routes but no described success response, so a new route must be described', () => {
    const undocumented: Operation = { name: 'brand-new', handler: 'functions/x/brand-new.ts', routes: [{ method: 'GET', path: '/v1/brand-new' }], access: {}, summary: 'new' };
    expect(() => openApiDocument([...operations, undocumented])).toThrow('no success response described for operation brand-new');
  });

  it('classifies operations by surface', () => {
    const surface = (name: string) => surfaceOf(operations.find((o) => o.name === name)!);
    expect([surface('create-resource'), surface('token'), surface('graphql'), surface('authorize'), surface('get-jwks')]).toEqual([
      'management',
      'oauth',
      'graphql',
      'browser',
      'public',
    ]);
  });
});

describe('docs/openapi.json', () => {
  it('is the generated document byte for byte (npm run openapi rewrites it)', () => {
    expect(readFileSync(join(REPOSITORY_ROOT, 'docs/openapi.json'), 'utf8')).toBe(openApiJson());
  });
});
