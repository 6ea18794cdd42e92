import { CfnOutput, CfnResource, Duration, NestedStack, Stack, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { HttpApi, HttpAuthorizer, HttpMethod, HttpRoute, HttpRouteKey, PayloadFormatVersion, type IHttpApi, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Construct } from 'constructs';
import { grantAccess, keyCapabilities, type InvokableFunctions } from './constructs/grant-access';
import { LatchkeyFunction, type FunctionConcurrency, type FunctionDefaults } from './constructs/latchkey-function';
import { AreaAlarms, type AlarmSettings } from './monitoring/area-alarms';
import { CANARY_RATE, CanaryAlarms, type CanarySettings } from './monitoring/canary-alarms';
import { DEFAULT_ROUTE, type Operation } from './routes';
import type { StateRefs } from './state';

/**
 * The area of an operation: the folder of its handler (`functions/<area>/<op>.ts`). Each area is one
 * nested stack, so adding operations to one area never touches the resources of another.
 */
export function areaOf(operation: Operation): string {
  const match = /^functions\/([a-z0-9-]+)\//.exec(operation.handler);
  if (!match) throw new TypeError(`operation ${operation.name}: handler ${operation.handler} is not under functions/<area>/`);
  return match[1]!;
}

/** Half of CloudFormation's 500 resources per stack: the rest is room to grow. */
export const RESOURCE_BUDGET = 250;

/** Fails synthesis when an area's nested stack outgrows the budget, before CloudFormation would. */
function resourceBudgetProblems(stack: NestedStack, area: string): string[] {
  const count = stack.node.findAll().filter((construct) => CfnResource.isCfnResource(construct) && Stack.of(construct) === stack).length;
  return count > RESOURCE_BUDGET
    ? [`the ${area} area has ${count} CloudFormation resources, over the budget of ${RESOURCE_BUDGET}: split functions/${area}/ into two folders (areas)`]
    : [];
}

/** The API Gateway route key of a route (`POST /oauth/v2/token`, or `$default`). */
export const routeKeyOf = (route: Operation['routes'][number]): string => (route.path === DEFAULT_ROUTE.path ? route.path : `${route.method} ${route.path}`);

/** `service-accounts` → `ServiceAccounts`. */
export const pascalCase = (name: string): string => name.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());

export interface ApiAreaProps {
  readonly area: string;
  readonly operations: readonly Operation[];
  readonly state: StateRefs;
  /** The HTTP API, by ID and endpoint only. */
  readonly httpApiId: string;
  readonly issuer: string;
  readonly retain: boolean;
  /** The top-level stack's name (functions are tagged with it). */
  readonly stackName: string;
  readonly defaults: FunctionDefaults;
  /** Reserved and provisioned concurrency of the functions that serve `tokenRouteKey`. */
  readonly tokenConcurrency?: FunctionConcurrency;
  /** The token endpoint's route key. */
  readonly tokenRouteKey: string;
  readonly alarms: AlarmSettings;
  /** The Lambda authorizer every route must pass (context `apiWaf=true`: only CloudFront's requests). */
  readonly originAuthorizerId?: string;
  /** The canary's schedule and alarms (context `canary=true`); without it, the canary function only runs when invoked. */
  readonly canary?: CanarySettings;
  /** Envelope mode: days between scheduled signing-key rotations. */
  readonly signingKeyRotationDays: number;
}

/**
 * One area of the route table as a nested stack: a function per operation, its role and grants,
 * its routes and integrations on the shared HTTP API, and the area's alarms. Everything it needs from
 * elsewhere arrives as names and ARNs (nested stack parameters), so a change in one area never
 * replaces a resource in another.
 */
export class ApiArea extends NestedStack {
  readonly functions = new Map<string, LatchkeyFunction>();
  private readonly httpApi: IHttpApi;
  private readonly originAuthorizer: IHttpRouteAuthorizer | undefined;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ApiAreaProps,
  ) {
    super(scope, id, { description: `Latchkey ${props.state.stage}: the ${props.area} operations` });
    this.httpApi = HttpApi.fromHttpApiAttributes(this, 'HttpApi', { httpApiId: props.httpApiId });
    this.originAuthorizer = props.originAuthorizerId
      ? HttpAuthorizer.fromHttpAuthorizerAttributes(this, 'OriginAuthorizer', { authorizerId: props.originAuthorizerId, authorizerType: 'CUSTOM' })
      : undefined;
    for (const operation of props.operations) {
      const fn = new LatchkeyFunction(this, operation.name, {
        handler: operation.handler,
        operationName: operation.name,
        issuer: props.issuer,
        retain: props.retain,
        stage: props.state.stage,
        stackName: props.stackName,
        keyCapabilities: keyCapabilities(operation.access, props.state.signingMode),
        defaults: props.defaults,
        ...(props.tokenConcurrency && operation.routes.some((route) => routeKeyOf(route) === props.tokenRouteKey) ? { concurrency: props.tokenConcurrency } : {}),
      });
      this.functions.set(operation.name, fn);
      if (operation.access.keys === 'rotate' && props.state.signingMode === 'envelope') {
        // next → current → previous on a schedule; the same function serves `npm run rotate-signing-keys`.
        new Rule(this, `${operation.name}-schedule`, {
          description: `Latchkey ${props.state.stage}: rotate the token signing keys every ${props.signingKeyRotationDays} days`,
          schedule: Schedule.rate(Duration.days(props.signingKeyRotationDays)),
          targets: [new LambdaFunction(fn.fn, { retryAttempts: 2 })],
        });
      }
      if (operation.access.secrets?.includes('canary') && props.canary) {
        // No retries: the next run is a minute away, and a retried failure would count twice.
        new Rule(this, `${operation.name}-schedule`, {
          description: `Latchkey ${props.state.stage}: the canary, every minute`,
          schedule: Schedule.rate(CANARY_RATE),
          targets: [new LambdaFunction(fn.fn, { retryAttempts: 0 })],
        });
        new CanaryAlarms(this, 'Canary', { area: props.area, operation: operation.name, settings: props.canary, topicArn: props.alarms.topicArn });
      }
    }
    new AreaAlarms(this, 'Alarms', { area: props.area, operations: props.operations, functions: this.functions, settings: props.alarms });
    this.node.addValidation({ validate: () => resourceBudgetProblems(this, props.area) });
  }

  /** Grants and routes; second, because an operation may be granted another area's function. */
  wire(invokable: InvokableFunctions): void {
    for (const operation of this.props.operations) {
      const fn = this.functions.get(operation.name)!;
      grantAccess(fn.fn, operation.access, this.props.state, invokable);
      if (this.props.defaults.tracing) acknowledgeTracingWildcard(fn);
      if (operation.routes.length > 0) this.route(operation, fn);
    }
  }

  private route(operation: Operation, fn: LatchkeyFunction): void {
    // One integration per function, shared by all of its routes.
    const integration = new HttpLambdaIntegration(`${operation.name}-integration`, fn.invokeTarget, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of operation.routes) {
      const isDefault = route.method === DEFAULT_ROUTE.method && route.path === DEFAULT_ROUTE.path;
      const routeKey = isDefault ? HttpRouteKey.DEFAULT : HttpRouteKey.with(route.path, HttpMethod[route.method as keyof typeof HttpMethod]);
      const httpRoute = new HttpRoute(this, `${operation.name}-${routeKey.key}`, {
        httpApi: this.httpApi,
        routeKey,
        integration,
        ...(this.originAuthorizer ? { authorizer: this.originAuthorizer } : {}),
      });
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Latchkey is the authorization server: its routes are public by design (discovery metadata, ' +
          'JWKS, the 404/405 fallback) or authenticate callers themselves (OAuth client credentials, ' +
          'Latchkey tokens); an API Gateway authorizer would need the very tokens these routes issue.',
      });
    }
  }
}

/**
 * X-Ray accepts trace segments only on `*` (it has no resource-level permissions). Acknowledged per
 * role for that one statement; the infra tests check that no other statement names `*`.
 */
function acknowledgeTracingWildcard(fn: LatchkeyFunction): void {
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource ARN; no other statement of this role names "*" (tested).',
  });
}

/** The output naming an invoke-only operation's function (`bootstrap` → `BootstrapFunctionName`), in the top-level stack. */
export function invokeOnlyOutput(stack: Stack, operation: Operation, fn: LatchkeyFunction): void {
  new CfnOutput(stack, `${pascalCase(operation.name)}FunctionName`, {
    value: fn.fn.functionName,
    description: `Lambda function of the ${operation.name} operation (IAM invoke only, no HTTP route)`,
  });
}
