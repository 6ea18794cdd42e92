import { NestedStack, type Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp, type LatchkeyStack, type LatchkeyStackProps } from '../../lib/latchkey-stack';
import { OPERATION_TAG, REPO_ROOT } from '../../lib/constructs/latchkey-function';
import { operations, type Operation } from '../../lib/routes';

/** CloudFormation templates are untyped JSON. */
export type Json = any;

/** One CloudFormation template of the app: the top-level stack or one of its nested stacks. */
export interface StackTemplate {
  readonly stack: Stack;
  readonly template: Template;
  readonly resources: Record<string, Json>;
  /** The nested stack's parameters as the parent passes them (empty for the top-level stack). */
  readonly parameters: Record<string, Json>;
}

export interface Built {
  readonly stack: LatchkeyStack;
  /** The top-level stack's template and resources (state, API, stage, monitoring). */
  readonly template: Template;
  readonly resources: Record<string, Json>;
  /** Every template: the top-level stack first, then one nested stack per area. */
  readonly stacks: readonly StackTemplate[];
  /** What the synthesis annotated (`Annotations.fromStack` without synthesizing the app again). */
  readonly annotations: Annotations;
}

/** cdk.json's context (feature flags such as iam:minimizePolicies change the template). */
const cdkJsonContext: Record<string, unknown> = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;

/**
 * What a test build leaves out of the real app, none of which changes a template:
 * - esbuild: bundling 30+ functions would take minutes, and no template depends on a bundle's content;
 * - the stack traces CDK records for its error messages (costly under vitest's source maps), and tree.json;
 * - the built-in CloudFormation validation (a WASM engine, the costliest step of a synthesis):
 *   cloudformation-validation.test.ts runs it once, on its own, where any finding fails.
 * The cdk-nag plugin stays: a finding anywhere in the app fails every build.
 */
const TEST_CONTEXT = { 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-creation-stack-traces': true };
const TEST_APP_PROPS = { builtinCloudFormationValidation: false, stackTraces: false, treeMetadata: false };

/** The real app (cdk.json context, context parsing, cdk-nag plugin) as tests build it, not yet synthesized. */
export function buildTestApp(context: Record<string, unknown> = {}, overrides: Partial<LatchkeyStackProps> = {}): ReturnType<typeof buildApp> {
  return buildApp({ ...cdkJsonContext, ...TEST_CONTEXT, ...context }, overrides, TEST_APP_PROPS);
}

/**
 * Builds and synthesizes the app of `buildTestApp`. The same context, props and environment make the
 * same app: each is built once per worker, and every caller gets copies of its templates.
 */
export function buildStack(context: Record<string, unknown> = {}, overrides: Partial<LatchkeyStackProps> = {}): Built {
  const key = canonicalJson([context, overrides, process.env.CDK_DEFAULT_ACCOUNT, process.env.CDK_DEFAULT_REGION]);
  let pristine = built.get(key);
  if (!pristine) {
    pristine = copyOf(build(context, overrides));
    built.set(key, pristine);
  }
  return copyOf(pristine);
}

/** JSON with every object's keys in order, so that `{ a, b }` and `{ b, a }` are one configuration. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1))) : inner,
  );

const built = new Map<string, Built>();

/** The same stack with copies of its templates, so that a test that sorts or changes one changes only its own. */
function copyOf(original: Built): Built {
  const stacks = original.stacks.map((where) => {
    const template = Template.fromJSON(structuredClone(where.template.toJSON()), { skipCyclicalDependenciesCheck: true });
    return { ...where, template, resources: template.toJSON().Resources, parameters: structuredClone(where.parameters) };
  });
  return { stack: original.stack, template: stacks[0]!.template, resources: stacks[0]!.resources, stacks, annotations: original.annotations };
}

function build(context: Record<string, unknown>, overrides: Partial<LatchkeyStackProps>): Built {
  const { stack } = buildTestApp(context, overrides);
  // The app's one synthesis: Annotations.fromStack forces one, Template.fromStack then reads its assembly.
  const annotations = Annotations.fromStack(stack);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources;
  const nested = stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack);
  const stacks: StackTemplate[] = [
    { stack, template, resources, parameters: {} },
    ...nested.map((child) => {
      const childTemplate = Template.fromStack(child);
      const id = stack.getLogicalId(child.nestedStackResource as never);
      return { stack: child, template: childTemplate, resources: childTemplate.toJSON().Resources, parameters: resources[id].Properties.Parameters ?? {} };
    }),
  ];
  return { stack, template, resources, stacks, annotations };
}

/** A value of a nested stack's template as the top-level stack's template sees it (parameters replaced). */
export function resolved(where: StackTemplate, value: Json): Json {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (typeof value.Ref === 'string' && value.Ref in where.parameters) return where.parameters[value.Ref];
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolved(where, inner)]));
  }
  if (Array.isArray(value)) return value.map((inner) => resolved(where, inner));
  return value;
}

/** Every resource of every template, with the template it is in. */
export function everyResource(built: Built, type?: string): { id: string; resource: Json; where: StackTemplate }[] {
  return built.stacks.flatMap((where) =>
    Object.entries(where.resources)
      .filter(([, resource]) => type === undefined || resource.Type === type)
      .map(([id, resource]) => ({ id, resource, where })),
  );
}

/** A route table that exercises every kind of access, reusing an existing handler module. */
export const everyAccessOperations: readonly Operation[] = [
  ...operations,
  op('write-thing', { table: 'readwrite', keys: 'sign', secrets: ['pepper'] }, 'POST', '/v1/things'),
  op('manage-hook-secret', { secrets: ['webhook-write'] }, 'POST', '/v1/things/hooks'),
  op('call-hooks', { secrets: ['pepper', 'webhook'], invoke: ['enrichment-webhooks'] }, 'POST', '/v1/things/enrich'),
  op('read-thing', { table: 'read' }, 'GET', '/v1/things/{id}'),
  op('verify-thing', { keys: 'verify' }, 'POST', '/v1/things/verify'),
  // The key rotation operation, until the route table has it.
  ...(operations.some((operation) => operation.access.keys === 'rotate')
    ? []
    : [
        {
          name: 'rotate-signing-keys',
          handler: 'functions/ops/bootstrap-environment.ts',
          routes: [],
          access: { table: 'readwrite', keys: 'rotate' },
          summary: 'rotate',
        } satisfies Operation,
      ]),
];

/**
 * Twice today's route table: every operation again in the same area (the worst case for an area's
 * nested stack), on routes of its own.
 */
export function doubledOperations(): Operation[] {
  const copies = operations.map((operation) => ({
    ...operation,
    name: `${operation.name}-copy`,
    routes: operation.routes.map((route) =>
      route.path === '$default' ? { method: 'GET' as const, path: '/copy/fallback' } : { method: route.method as 'GET', path: `/copy${route.path}` },
    ),
  }));
  return [...operations, ...copies];
}

/**
 * Configurations that several test files check. A test that needs an option on takes the variant
 * that has it rather than a build of its own, so a worker builds each once.
 */
export const KMS_MODE = { signingMode: 'kms' };
export const PROD_KMS = { stage: 'prod', signingMode: 'kms' };
export const CUSTOM_DOMAIN = { domainName: 'id.example.com', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/abc' };
/** prod on its own domain, with its DNS record. */
export const PROD_ON_DOMAIN = { stage: 'prod', ...CUSTOM_DOMAIN, hostedZoneId: 'Z0123456789' };
/** ...and the mutual TLS domain, its truststore uploaded (a JSON `true`, as cdk.json or a test passes it). */
export const PROD_WITH_MTLS = { ...PROD_ON_DOMAIN, mtls: true, mtlsTruststoreVersion: 'v3' };
/** An enrichment webhook target besides the stack's own. */
export const EXTRA_WEBHOOK = 'arn:aws:lambda:eu-west-1:123456789012:function:acme-enrichment';
/** Every kind of access in envelope mode, keys rotated weekly. */
export const ENVELOPE_EVERY_ACCESS = [{ signingKeyRotationDays: '7' }, { operations: everyAccessOperations }] as const;
/** Every kind of access in KMS mode during a key rotation (two published keys, the newer one active), another webhook target allowed. */
export const KMS_EVERY_ACCESS = [
  { signingMode: 'kms', signingKeys: 'old,new', activeSigningKey: 'new', enrichmentLambdaArns: EXTRA_WEBHOOK },
  { operations: everyAccessOperations },
] as const;

/**
 * Every operator control that is off or at today's value by default, turned on in ONE build (a
 * synthesis is the suite's costliest step): longer log retention, more memory, the token function's
 * reserved and provisioned concurrency, the table's backup plan, the canary, the new alarms'
 * thresholds, and CloudFront with AWS WAF in front of the API on its custom domain, in a region other
 * than us-east-1 (so the web ACL is in a stack of its own there).
 */
export const OPERATOR_CONTROLS = [
  {
    logRetentionDays: '90',
    functionMemory: '1024',
    tokenReservedConcurrency: '50',
    tokenProvisionedConcurrency: '2',
    backup: 'true',
    backupRetentionDays: '90',
    alarmThresholds: '{"api4xxPercent": 40, "api429Percent": 10, "canaryLatencyMs": 1500}',
    canary: 'true',
    domainName: 'id.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/regional',
    hostedZoneId: 'Z0123456789',
    apiWaf: 'true',
    apiWafCertificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/edge',
    apiWafRateLimit: '500',
    apiOriginDomainName: 'api-origin.example.com',
    apiOriginCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/origin',
  },
  { env: { account: '111111111111', region: 'eu-west-1' } },
] as const;

function op(name: string, access: Operation['access'], method: 'GET' | 'POST', path: string): Operation {
  return { name, handler: operations[0]!.handler, routes: [{ method, path }], access, summary: name };
}

/** cdk-nag findings left after acknowledgements (errors and warnings alike). */
export function nagFindings(stack: LatchkeyStack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

export function ofType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

export interface FoundFunction {
  readonly id: string;
  readonly resource: Json;
  /** The (nested) stack the function is in. */
  readonly where: StackTemplate;
  /** Its environment variables, parameters resolved to what the top-level stack passes. */
  readonly env: Record<string, Json>;
}

/** Latchkey's operation functions by operation name, in every stack (tagged; CDK-internal functions are not). */
export function operationFunctions(built: Built): Map<string, FoundFunction> {
  const found = new Map<string, FoundFunction>();
  for (const { id, resource, where } of everyResource(built, 'AWS::Lambda::Function')) {
    const tag = (resource.Properties.Tags ?? []).find((t: Json) => t.Key === OPERATION_TAG);
    if (!tag) continue;
    if (found.has(tag.Value)) throw new Error(`two functions for operation ${tag.Value}`);
    found.set(tag.Value, { id, resource, where, env: resolved(where, resource.Properties.Environment?.Variables ?? {}) });
  }
  return found;
}

/** Every Allow statement of the policies attached to the given role. */
export function roleStatements(resources: Record<string, Json>, roleId: string): Json[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/** The statements that apply to an operation's function, parameters resolved. */
export function functionStatements(fn: FoundFunction): Json[] {
  return resolved(fn.where, roleStatements(fn.where.resources, fn.resource.Properties.Role['Fn::GetAtt'][0]));
}

/** The role of an operation's function. */
export const functionRole = (fn: FoundFunction): Json => fn.where.resources[fn.resource.Properties.Role['Fn::GetAtt'][0]];

export const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export const actionsOf = (statements: Json[]): string[] => statements.flatMap((s) => list<string>(s.Action));

/** Logical id of the KMS key behind an alias name. */
export function keyIdByAlias(resources: Record<string, Json>, aliasName: string): string {
  const alias = ofType(resources, 'AWS::KMS::Alias').find(([, a]) => a.Properties.AliasName === aliasName);
  if (!alias) throw new Error(`no alias ${aliasName}`);
  return alias[1].Properties.TargetKeyId['Fn::GetAtt'][0];
}

/** The newest `nodejsNN.x` runtime this aws-cdk-lib knows. */
export function newestNodeRuntime(): string {
  const versions = Runtime.ALL.map((r) => /^nodejs(\d+)\.x$/.exec(r.name)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  return `nodejs${Math.max(...versions)}.x`;
}

export const routeKey = (route: Operation['routes'][number]): string => (route.path === '$default' ? '$default' : `${route.method} ${route.path}`);
