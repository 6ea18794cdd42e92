import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { ENV } from '../../src/config';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { nodejsBundling, NODE_MAJOR } from './bundling';
import { rolePath, type KeyCapability } from './key-policies';

/** The repository root: handler paths in the route table are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The newest Node.js runtime this aws-cdk-lib knows. Pinned by name (not computed) so a runtime
 * bump is a reviewed change; the infra tests and cdk-nag (AwsSolutions-L1) fail when it falls behind.
 */
export const LATCHKEY_RUNTIME = Runtime.NODEJS_24_X;
if (LATCHKEY_RUNTIME.name !== `nodejs${NODE_MAJOR}.x`) throw new TypeError('NODE_MAJOR in lib/constructs/bundling.ts must match LATCHKEY_RUNTIME');

/**
 * Where a Latchkey function's code comes from and how it is bundled and run, the same for the
 * operations and the stack's helper functions: `entry` is the handler's path from the repository root.
 */
export function latchkeyFunctionCode(entry: string) {
  return {
    entry: path.join(REPO_ROOT, entry),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    runtime: LATCHKEY_RUNTIME,
    architecture: Architecture.ARM_64,
    bundling: nodejsBundling(),
  } satisfies NodejsFunctionProps;
}

/** Tag that marks Latchkey's operation functions (as opposed to any CDK-internal function). */
export const OPERATION_TAG = 'latchkey:operation';
/**
 * Tag naming the top-level stack of a function. Functions live in nested stacks, whose own names
 * CloudFormation generates, so tools find a stage's functions by this tag.
 */
export const STACK_TAG = 'latchkey:stack';

/** Settings every function of a deployment shares (context `logLevel`, `tracingSampleRate`, `logRetentionDays`, `functionMemory`). */
export interface FunctionDefaults {
  /** Powertools log level: DEBUG, INFO, WARN, ERROR, SILENT. */
  readonly logLevel: string;
  /** X-Ray active tracing. */
  readonly tracing: boolean;
  /** Days audit events are kept before the table's TTL removes them (context `auditRetentionDays`, default 400). */
  readonly auditRetentionDays: number;
  /** Days each function's log group keeps its events. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** MB of memory (and the CPU share that comes with it) of every function. @default 512 */
  readonly memorySize?: number;
  /**
   * Every request comes through Latchkey's CloudFront distribution (context `apiWaf=true`): the
   * functions then read the client's address from CloudFront's viewer address header. @default false
   */
  readonly behindCloudFront?: boolean;
}

/** Concurrency settings of one function (context `tokenReservedConcurrency`, `tokenProvisionedConcurrency`). */
export interface FunctionConcurrency {
  /** Instances reserved for this function alone (and its ceiling); other workloads cannot take them. */
  readonly reserved?: number;
  /** Instances kept initialised on the `live` alias, which then is what the API invokes. */
  readonly provisioned?: number;
}

export interface LatchkeyFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly handler: string;
  readonly operationName: string;
  readonly issuer: string;
  readonly retain: boolean;
  readonly stage: string;
  /** The top-level stack's name, tagged as `latchkey:stack`. */
  readonly stackName: string;
  /** What the role may do with keys; the key policies recognise it by the role's IAM path. */
  readonly keyCapabilities: ReadonlySet<KeyCapability>;
  readonly defaults: FunctionDefaults;
  /** @default no reserved or provisioned concurrency */
  readonly concurrency?: FunctionConcurrency;
}

/**
 * One Latchkey operation as a Lambda function: every setting that must be the same for all of them
 * lives here, so operations differ only in code, routes and the access the route table grants.
 *
 * The function gets its own role with no managed policy: the only permissions it starts with are
 * writes to its own log group, and everything else comes from `grantAccess`.
 */
export class LatchkeyFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /**
   * What callers invoke: the `live` alias when the function has provisioned concurrency (only an
   * alias or version can hold it, and only calls to it use it), otherwise the function itself.
   */
  readonly invokeTarget: IFunction;

  constructor(scope: Construct, id: string, props: LatchkeyFunctionProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.defaults.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Latchkey ${props.operationName}`,
      path: rolePath(props.stage, props.keyCapabilities),
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): only this function's group.
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      ...latchkeyFunctionCode(props.handler),
      memorySize: props.defaults.memorySize ?? 512,
      ...(props.concurrency?.reserved !== undefined ? { reservedConcurrentExecutions: props.concurrency.reserved } : {}),
      timeout: Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.defaults.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'latchkey',
        POWERTOOLS_METRICS_NAMESPACE: 'Latchkey',
        POWERTOOLS_LOG_LEVEL: props.defaults.logLevel,
        POWERTOOLS_TRACE_ENABLED: String(props.defaults.tracing),
        LATCHKEY_OPERATION: props.operationName,
        LATCHKEY_STAGE: props.stage,
        LATCHKEY_ISSUER: props.issuer,
        [ENV.auditRetentionDays]: String(props.defaults.auditRetentionDays),
        ...(props.defaults.behindCloudFront ? { [ENV.behindCloudFront]: 'true' } : {}),
      },
    });
    const provisioned = props.concurrency?.provisioned;
    this.invokeTarget = provisioned ? new Alias(this, 'Live', { aliasName: 'live', version: this.fn.currentVersion, provisionedConcurrentExecutions: provisioned }) : this.fn;
    Tags.of(this.fn).add(OPERATION_TAG, props.operationName);
    Tags.of(this.fn).add(STACK_TAG, props.stackName);
  }
}
