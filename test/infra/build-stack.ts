import { Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp, type LatchkeyStack, type LatchkeyStackProps } from '../../lib/latchkey-stack';
import { OPERATION_TAG, REPO_ROOT } from '../../lib/constructs/latchkey-function';
import { operations, type Operation } from '../../lib/routes';

/** CloudFormation templates are untyped JSON. */
export type Json = any;

export interface Built {
  readonly stack: LatchkeyStack;
  readonly template: Template;
  readonly resources: Record<string, Json>;
}

/** cdk.json's context (feature flags such as iam:minimizePolicies change the template). */
const cdkJsonContext: Record<string, unknown> = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;

/**
 * Builds the real app (cdk.json context, context parsing, cdk-nag plugin) without esbuild: bundling
 * 3+ functions would take minutes, and the template does not depend on the bundle's content.
 */
export function buildStack(context: Record<string, unknown> = {}, overrides: Partial<LatchkeyStackProps> = {}): Built {
  const { stack } = buildApp({ ...cdkJsonContext, 'aws:cdk:bundling-stacks': [], ...context }, overrides);
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources };
}

/** A route table that exercises every kind of access, reusing an existing handler module. */
export const everyAccessOperations: readonly Operation[] = [
  ...operations,
  op('write-thing', { table: 'readwrite', keys: 'sign', secrets: ['pepper'] }, 'POST', '/v1/things'),
  op('manage-hook-secret', { secrets: ['webhook-write'] }, 'POST', '/v1/things/hooks'),
  op('call-hooks', { secrets: ['pepper', 'webhook'], invoke: ['enrichment-webhooks'] }, 'POST', '/v1/things/enrich'),
  op('read-thing', { table: 'read' }, 'GET', '/v1/things/{id}'),
  op('verify-thing', { keys: 'verify' }, 'POST', '/v1/things/verify'),
  op('certify-thing', { samlKey: 'sign' }, 'POST', '/v1/things/certify'),
];

function op(name: string, access: Operation['access'], method: 'GET' | 'POST', path: string): Operation {
  return { name, handler: operations[0]!.handler, routes: [{ method, path }], access, summary: name };
}

/** cdk-nag findings left after acknowledgements (errors and warnings alike). */
export function nagFindings(stack: LatchkeyStack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
}

export function ofType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** Latchkey's operation functions by operation name (tagged; CDK-internal functions are not). */
export function operationFunctions(resources: Record<string, Json>): Map<string, { id: string; resource: Json }> {
  const found = new Map<string, { id: string; resource: Json }>();
  for (const [id, resource] of ofType(resources, 'AWS::Lambda::Function')) {
    const tag = (resource.Properties.Tags ?? []).find((t: Json) => t.Key === OPERATION_TAG);
    if (!tag) continue;
    if (found.has(tag.Value)) throw new Error(`two functions for operation ${tag.Value}`);
    found.set(tag.Value, { id, resource });
  }
  return found;
}

/** Every Allow statement of the policies attached to the given role. */
export function roleStatements(resources: Record<string, Json>, roleId: string): Json[] {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/** The statements that apply to an operation's function. */
export function functionStatements(resources: Record<string, Json>, fn: Json): Json[] {
  return roleStatements(resources, fn.Properties.Role['Fn::GetAtt'][0]);
}

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

export const routeKey = (route: Operation['routes'][number]): string =>
  route.path === '$default' ? '$default' : `${route.method} ${route.path}`;
