import { App, CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, Node } from 'constructs';
import { LatchkeyApi, type CustomDomain } from './api';
import { operations as routeTable, type Operation } from './routes';
import { LatchkeyState } from './state';

export interface LatchkeyStackProps extends StackProps {
  /** Deployment stage (`dev`, `prod`, ...); `prod` retains and protects all state. */
  readonly stage: string;
  /** Names of the signing keys published in the JWKS. */
  readonly signingKeys: readonly string[];
  /** The key that signs new tokens; one of `signingKeys`. */
  readonly activeSigningKey: string;
  readonly domain?: CustomDomain;
  /** @default the route table of `lib/routes.ts` */
  readonly operations?: readonly Operation[];
}

export class LatchkeyStack extends Stack {
  readonly state: LatchkeyState;
  readonly api: LatchkeyApi;

  constructor(scope: Construct, id: string, props: LatchkeyStackProps) {
    super(scope, id, props);
    const retain = props.stage === 'prod';
    this.state = new LatchkeyState(this, 'State', {
      stage: props.stage,
      retain,
      signingKeys: props.signingKeys,
      activeSigningKey: props.activeSigningKey,
    });
    this.api = new LatchkeyApi(this, 'Api', {
      operations: props.operations ?? routeTable,
      state: this.state,
      retain,
      ...(props.domain ? { domain: props.domain } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.stage.url, description: 'Default endpoint of the HTTP API' });
    new CfnOutput(this, 'Issuer', { value: this.api.issuer, description: 'The iss of every Latchkey token' });
    new CfnOutput(this, 'TableName', { value: this.state.table.tableName });
    new CfnOutput(this, 'SigningKeyArn', {
      value: this.state.activeSigningKey.key.keyArn,
      description: `Active signing key (${this.state.activeSigningKey.name})`,
    });
    new CfnOutput(this, 'PepperSecretArn', { value: this.state.pepper.secretArn });
  }
}

/** Creates `Latchkey-<stage>` in `app`. */
export function createLatchkeyStack(app: App, props: LatchkeyStackProps): LatchkeyStack {
  return new LatchkeyStack(app, `Latchkey-${props.stage}`, {
    description: `Latchkey identity and token service (${props.stage})`,
    ...props,
  });
}

/**
 * The whole CDK app: context → stack, with cdk-nag's AWS Solutions checks. `context` is merged
 * over cdk.json's (tests pass `{ 'aws:cdk:bundling-stacks': [] }` to skip esbuild); `overrides`
 * replace props after context parsing (tests use it to try other route tables).
 */
export function buildApp(
  context: Record<string, unknown> = {},
  overrides: Partial<LatchkeyStackProps> = {},
): { app: App; stack: LatchkeyStack } {
  const app = new App({ context });
  const stack = createLatchkeyStack(app, {
    ...latchkeyPropsFromContext(app.node),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...overrides,
  });
  // cdk-nag v3 is a policy validation plugin: any unacknowledged finding fails synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

/**
 * Reads Latchkey's context values. From the CLI they arrive as strings (`-c signingKeys=old,new`),
 * from cdk.json or tests also as JSON values, so both are accepted.
 * - `stage` (default `dev`)
 * - `signingKeys`: comma-separated names or JSON array (default `["primary"]`)
 * - `activeSigningKey` (default: the last of `signingKeys`)
 * - `domainName` + `certificateArn` (+ optional `hostedZoneId`): serve and issue on a custom domain
 */
export function latchkeyPropsFromContext(node: Node): LatchkeyStackProps {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new TypeError(`context ${key} must be a string`);
    return value.trim();
  };

  const stage = text('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) throw new TypeError(`context stage ${stage} is not a lowercase name`);

  const signingKeys = nameList(node.tryGetContext('signingKeys')) ?? ['primary'];
  for (const name of signingKeys) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new TypeError(`signing key name ${name} is not [A-Za-z0-9_-]`);
  }
  if (new Set(signingKeys).size !== signingKeys.length) throw new TypeError('signingKeys has duplicate names');
  const activeSigningKey = text('activeSigningKey') ?? signingKeys[signingKeys.length - 1]!;
  if (!signingKeys.includes(activeSigningKey)) {
    throw new TypeError(`activeSigningKey ${activeSigningKey} is not one of signingKeys (${signingKeys.join(',')})`);
  }

  const domainName = text('domainName');
  const certificateArn = text('certificateArn');
  const hostedZoneId = text('hostedZoneId');
  if (Boolean(domainName) !== Boolean(certificateArn)) {
    throw new TypeError('context domainName and certificateArn go together');
  }
  const domain: CustomDomain | undefined =
    domainName && certificateArn ? { domainName, certificateArn, ...(hostedZoneId ? { hostedZoneId } : {}) } : undefined;

  return { stage, signingKeys, activeSigningKey, ...(domain ? { domain } : {}) };
}

function nameList(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') list = value.trim().startsWith('[') ? JSON.parse(value) : value.split(',');
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new TypeError('context signingKeys must be comma-separated names or a JSON array of names');
  }
  const names = list.map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new TypeError('context signingKeys names no key');
  return names;
}
