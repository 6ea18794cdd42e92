import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../lib/routes';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { LOCAL_ONLY_VARIABLES, SAM_LOCAL, samEnvFile, STAND_IN_VARIABLES, standInPorts, type SamEnvFile } from '../../local/sam/env-file';
import { EVENT_PLACEHOLDERS } from '../../local/sam/events';
import { generateSamLocal, type SamLocalFiles } from '../../local/sam/generate';
import { hostArchitecture, samLocalTemplate, samLogicalId, synthesizedFunctions, type SynthesizedFunction } from '../../local/sam/template';
import { startTestRuntime } from '../support/local-runtime';

/**
 * What `npm run sam-local` and `npm start -- --sam` produce for `sam local`, checked against SAM's
 * rule and the event shape of @types/aws-lambda. SAM itself (and Docker) cannot run here, so these
 * tests do not prove that SAM loads the template or that a container reaches the stand-ins; they
 * prove that nothing in the files would stop it from doing so.
 */

type Json = any;
let files: SamLocalFiles;
let synthesized: SynthesizedFunction[];
let envFile: SamEnvFile;
let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
const outDir = mkdtempSync(join(tmpdir(), 'latchkey-sam-'));

beforeAll(async () => {
  // Without esbuild: the template does not depend on the bundles' content. Without CDK's built-in
  // CloudFormation validation either (it doubles the synthesis; cloudformation-validation.test.ts
  // runs it on every template), which the shared setup turns back on after this file.
  process.env.CDK_VALIDATION = 'false';
  files = generateSamLocal(outDir, { bundle: false });
  synthesized = synthesizedFunctions(files.assemblyDir);
  runtime = await startTestRuntime();
  envFile = samEnvFile(runtime);
}, 180_000);
afterAll(async () => {
  await runtime?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

const localFunctions = (): [string, Json][] => Object.entries<Json>(files.template.Resources);
const declared = (resource: Json): Record<string, string> => resource.Properties.Environment.Variables;

describe('the sam local template', () => {
  it('holds one function per operation of the route table, read from the synthesized templates', () => {
    expect(synthesized.map((fn) => fn.operation).sort()).toEqual(operations.map((operation) => operation.name).sort());
    expect(
      localFunctions()
        .map(([id]) => id)
        .sort(),
    ).toEqual(operations.map((operation) => samLogicalId(operation.name)).sort());
    for (const [, resource] of localFunctions()) expect(resource.Type).toBe('AWS::Serverless::Function');
  });

  it("SAM's rule: every env file variable is declared on every function that has it in AWS, and every stand-in variable on all", () => {
    for (const operation of operations) {
      const local = declared(files.template.Resources[samLogicalId(operation.name)]);
      const deployed = synthesized.find((fn) => fn.operation === operation.name)!.properties.Environment.Variables as Record<string, Json>;
      for (const name of Object.keys(envFile.Parameters)) {
        const needed = [...STAND_IN_VARIABLES, ...LOCAL_ONLY_VARIABLES].includes(name as never) || name in deployed;
        if (needed) expect(local, `${operation.name} must declare ${name}`).toHaveProperty(name);
      }
    }
  });

  it('leaves no placeholder behind: every value only CloudFormation could resolve comes from the env file', () => {
    for (const fn of synthesized) {
      for (const [name, value] of Object.entries<Json>(fn.properties.Environment.Variables)) {
        if (typeof value !== 'string') expect(envFile.Parameters, `${fn.operation}: ${name}`).toHaveProperty(name);
      }
    }
  });

  it('gives a function no Latchkey variable it lacks in AWS, so a missing grant shows locally too', () => {
    for (const fn of synthesized) {
      const local = Object.keys(declared(files.template.Resources[samLogicalId(fn.operation)]));
      const extra = local.filter((name) => !(name in fn.properties.Environment.Variables) && ![...STAND_IN_VARIABLES, ...LOCAL_ONLY_VARIABLES].includes(name as never));
      expect(extra, fn.operation).toEqual([]);
    }
  });

  it('declares the local-only switch on every function, off by default, so the env file turns on local webhook and JWKS targets in the containers', () => {
    expect(envFile.Parameters.LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS).toBe('true');
    for (const [id, resource] of localFunctions()) expect(declared(resource).LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS, id).toBe('false');
    // No deployed function has it.
    for (const fn of synthesized) expect(fn.properties.Environment.Variables).not.toHaveProperty('LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS');
  });

  it('runs on arm64 as deployed by default, and on the architecture asked for (x86 machines need no emulation)', () => {
    for (const [, resource] of localFunctions()) expect(resource.Properties.Architectures).toEqual(['arm64']);
    const x86 = samLocalTemplate(synthesized, operations, outDir, { architecture: 'x86_64' });
    for (const resource of Object.values<Json>(x86.Resources)) expect(resource.Properties.Architectures).toEqual(['x86_64']);
    expect([hostArchitecture('x64'), hostArchitecture('arm64')]).toEqual(['x86_64', 'arm64']);
  });

  it('routes every route of the route table to its function', () => {
    const routed = localFunctions().flatMap(([id, resource]) =>
      Object.values<Json>(resource.Properties.Events ?? {}).map((event) => `${id} ${event.Properties.Method ?? 'ANY'} ${event.Properties.Path ?? '$default'}`),
    );
    const table = operations.flatMap((operation) => operation.routes.map((route) => `${samLogicalId(operation.name)} ${route.method} ${route.path}`));
    expect(routed.sort()).toEqual(table.sort());
  });
});

describe('the env file written by npm start -- --sam', () => {
  it('names the stand-ins’ fixed ports, or the ports the LATCHKEY_*_PORT variables choose', () => {
    const from = (environment: Record<string, string>) => (name: string, fallback: number) => Number(environment[name] ?? fallback);
    expect(standInPorts(true, from({}))).toEqual(SAM_LOCAL.ports);
    expect(standInPorts(true, from({ LATCHKEY_DYNAMODB_PORT: '5001', LATCHKEY_AWS_PORT: '5002', LATCHKEY_LAMBDA_PORT: '5003' }))).toEqual({
      dynamodb: 5001,
      aws: 5002,
      lambda: 5003,
    });
    expect(standInPorts(false, from({}))).toEqual({ dynamodb: 0, aws: 0, lambda: 0 });
    expect(standInPorts(false, from({ LATCHKEY_AWS_PORT: '5002' }))).toEqual({ dynamodb: 0, aws: 5002, lambda: 0 });
  });

  it('points every AWS endpoint at the stand-ins through the container host, with throwaway credentials', () => {
    const port = (url: string) => new URL(url).port;
    expect(envFile.Parameters).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: `http://host.docker.internal:${port(runtime.endpoints.dynamodb)}`,
      AWS_ENDPOINT_URL_KMS: `http://host.docker.internal:${port(runtime.endpoints.aws)}`,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://host.docker.internal:${port(runtime.endpoints.aws)}`,
      AWS_ENDPOINT_URL_LAMBDA: `http://host.docker.internal:${port(runtime.endpoints.lambda)}`,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SESSION_TOKEN: '',
      LATCHKEY_TABLE_NAME: runtime.resources.tableName,
    });
  });
});

/** The keys of T that are not optional: a list checked against it by tsc below. */
// `{}` is the point here: a key is optional exactly when the empty object is assignable to its Pick.
// biome-ignore lint/complexity/noBannedTypes: the empty object type, as said above
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Shape<T> = Record<RequiredKeys<T>, 'string' | 'number' | 'boolean' | 'object'>;
// `satisfies` fails compilation (npm test runs tsc) if @types/aws-lambda adds, drops or renames a required field.
const EVENT_FIELDS = {
  version: 'string',
  routeKey: 'string',
  rawPath: 'string',
  rawQueryString: 'string',
  headers: 'object',
  requestContext: 'object',
  isBase64Encoded: 'boolean',
} as const satisfies Shape<APIGatewayProxyEventV2>;
const CONTEXT_FIELDS = {
  accountId: 'string',
  apiId: 'string',
  domainName: 'string',
  domainPrefix: 'string',
  http: 'object',
  requestId: 'string',
  routeKey: 'string',
  stage: 'string',
  time: 'string',
  timeEpoch: 'number',
} as const satisfies Shape<APIGatewayProxyEventV2['requestContext']>;
const HTTP_FIELDS = { method: 'string', path: 'string', protocol: 'string', sourceIp: 'string', userAgent: 'string' } as const satisfies Shape<
  APIGatewayProxyEventV2['requestContext']['http']
>;

const hasShape = (value: Json, shape: Record<string, string>) =>
  Object.entries(shape)
    .filter(([key, type]) => typeof value?.[key] !== type || value[key] === null)
    .map(([key]) => key);

describe('the sample events', () => {
  const written = () => files.events.map(({ file }) => JSON.parse(readFileSync(join(files.eventsDir, file), 'utf8')) as Json);

  it("are one per route, each with every field @types/aws-lambda's APIGatewayProxyEventV2 requires, of its type (a runtime check against a type-checked list)", () => {
    expect(files.events).toHaveLength(operations.flatMap((operation) => operation.routes).length);
    for (const event of written()) {
      expect(hasShape(event, EVENT_FIELDS), event.routeKey).toEqual([]);
      expect(hasShape(event.requestContext, CONTEXT_FIELDS), event.routeKey).toEqual([]);
      expect(hasShape(event.requestContext.http, HTTP_FIELDS), event.routeKey).toEqual([]);
      expect(event.rawPath).not.toMatch(/[{}]/);
      for (const value of Object.values(event.pathParameters ?? {})) expect(event.rawPath).toContain(value as string);
      expect(event.routeKey).toBe(event.requestContext.routeKey);
    }
  });

  it('are accepted by the unchanged handlers: discovery, the fallback, and the token endpoint with real credentials', async () => {
    const invoke = async (operation: string, event: APIGatewayProxyEventV2) => {
      const handlerPath = operations.find((candidate) => candidate.name === operation)!.handler;
      const module = (await import(pathToFileURL(join(REPOSITORY_ROOT, handlerPath)).href)) as {
        handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
      };
      return module.handler(event, { awsRequestId: event.requestContext.requestId, getRemainingTimeInMillis: () => 10_000 } as Context);
    };
    const sample = (file: string) => JSON.parse(readFileSync(join(files.eventsDir, file), 'utf8')) as APIGatewayProxyEventV2;

    expect((await invoke('get-openid-configuration', sample('get-openid-configuration.json'))).statusCode).toBe(200);
    expect((await invoke('route-fallback', sample('route-fallback.json'))).statusCode).toBe(404);

    const token = sample('token.json');
    expect(token.isBase64Encoded).toBe(true);
    const credentials = `${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`;
    expect(Buffer.from(token.headers.authorization!.replace('Basic ', ''), 'base64').toString()).toBe(`${EVENT_PLACEHOLDERS.clientId}:${EVENT_PLACEHOLDERS.clientSecret}`);
    token.headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    const issued = await invoke('token', token);
    expect(issued.statusCode, issued.body).toBe(200);
    expect(JSON.parse(issued.body!)).toHaveProperty('access_token');
  });
});
