import { App, CfnOutput, Stack, Token, Validations, type AppProps, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, Node } from 'constructs';
import { LatchkeyApi, tokenRouteKey, type CustomDomain, type MutualTlsDomain } from './api';
import { apiHostOf, LatchkeyConsole, type ConsoleWaf } from './constructs/console';
import type { FunctionConcurrency, FunctionDefaults } from './constructs/latchkey-function';
import { RunTimeSecretsCleanup } from './constructs/run-time-secrets';
import { TableBackup } from './constructs/table-backup';
import { ApiDistribution } from './edge/api-distribution';
import { ApiWebAcl, ApiWebAclStack } from './edge/api-web-acl';
import type { AlarmSettings } from './monitoring/area-alarms';
import type { CanarySettings } from './monitoring/canary-alarms';
import { AlarmTopic, Monitoring, type MonitoringSettings } from './monitoring/monitoring';
import { operations as routeTable, type Operation } from './routes';
import { LatchkeyState, type SigningMode } from './state';
import { parseThrottleOverrides, type ThrottleOverrides } from './throttles';
import { isLambdaArn } from '../src/domain/webhook-targets';
import { parseStaticClaims } from '../src/webhook/static-claims';

export interface LatchkeyStackProps extends StackProps {
  /** Deployment stage (`dev`, `prod`, ...); `prod` retains and protects all state. */
  readonly stage: string;
  /** `envelope` (default): signing in memory with KMS-wrapped key pairs; `kms`: every token signed by KMS. */
  readonly signingMode: SigningMode;
  /** Envelope mode: days between scheduled key rotations. */
  readonly signingKeyRotationDays: number;
  /** KMS mode: names of the signing keys published in the JWKS. */
  readonly signingKeys: readonly string[];
  /** KMS mode: the key that signs new tokens; one of `signingKeys`. */
  readonly activeSigningKey: string;
  /** Per-route throttle overrides by class of route or operation name. */
  readonly throttles?: ThrottleOverrides;
  readonly functionDefaults: FunctionDefaults;
  /** Reserved and provisioned concurrency of the token endpoint's function (context `tokenReservedConcurrency`, `tokenProvisionedConcurrency`). */
  readonly tokenConcurrency?: FunctionConcurrency;
  /**
   * CloudFront with AWS WAF in front of the API on `domain` (context `apiWaf=true`): the API itself
   * moves to `originDomainName` and answers only requests that carry CloudFront's origin secret.
   */
  readonly apiWaf?: ApiWafSettings;
  /** The canary every minute, with its alarms (context `canary=true`). */
  readonly canary?: CanarySettings;
  /** A daily AWS Backup plan for the table, keeping each recovery point this many days (context `backup=true`, `backupRetentionDays`). */
  readonly backup?: { readonly retentionDays: number };
  readonly alarmEmail?: string;
  readonly alarms: Omit<AlarmSettings, 'topicArn'>;
  readonly monitoring: MonitoringSettings;
  readonly domain?: CustomDomain;
  /**
   * Mutual TLS for certificate-authenticated clients (context `mtls=true`): the truststore bucket
   * always, and the mTLS custom domain once a truststore version is given.
   */
  readonly mtls?: Omit<MutualTlsDomain, 'truststoreVersion'> & { readonly truststoreVersion?: string };
  /** Lambda ARNs (besides the stack's own webhook) that applications may name as enrichment webhook targets. */
  readonly enrichmentLambdaArns?: readonly string[];
  /** The claims table of the stack's example enrichment webhook (see src/webhook/static-claims.ts). */
  readonly enrichmentClaimsJson?: string;
  /** @default the route table of `lib/routes.ts` */
  readonly operations?: readonly Operation[];
  /** The admin console and one CloudFront distribution in front of it and the API (context `console=true`), with an optional WAF. */
  readonly console?: { readonly waf?: ConsoleWaf };
}

export interface ApiWafSettings {
  /** ACM certificate for the public `domainName`, in us-east-1 (where CloudFront reads certificates). */
  readonly certificateArn: string;
  /** The API's own custom domain behind CloudFront, with its regional certificate. */
  readonly originDomainName: string;
  readonly originCertificateArn: string;
  /** Requests one client IP may make in five minutes (the web ACL's rate-based rule). */
  readonly rateLimitPer5Minutes: number;
  /** The CLOUDFRONT-scope web ACL; made in this stack when it is in us-east-1, else in a stack of its own there (`buildApp`). */
  readonly webAclArn?: string;
}

/**
 * One Latchkey deployment: the state (table, keys, pepper), the HTTP API and its stage, the alarm
 * topic, stack-wide alarms and dashboard in this stack; the functions, routes and per-function
 * alarms of each area of the route table in a nested stack per area. One `cdk deploy` deploys all.
 */
export class LatchkeyStack extends Stack {
  readonly state: LatchkeyState;
  readonly api: LatchkeyApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: LatchkeyStackProps) {
    super(scope, id, props);
    const retain = props.stage === 'prod';
    this.state = new LatchkeyState(this, 'State', {
      stage: props.stage,
      retain,
      signingMode: props.signingMode,
      signingKeys: props.signingKeys,
      activeSigningKey: props.activeSigningKey,
      mtlsTruststore: props.mtls !== undefined,
    });
    const operations = props.operations ?? routeTable;
    const alarmTopic = new AlarmTopic(this, 'AlarmTopic', { stage: props.stage, retain, ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}) });
    const apiWaf = props.apiWaf;
    if (apiWaf && !props.domain) throw new TypeError('apiWaf needs the custom domain (domainName and certificateArn)');
    const apiDomain: CustomDomain | undefined =
      apiWaf && props.domain
        ? { domainName: apiWaf.originDomainName, certificateArn: apiWaf.originCertificateArn, ...(props.domain.hostedZoneId ? { hostedZoneId: props.domain.hostedZoneId } : {}) }
        : props.domain;
    this.api = new LatchkeyApi(this, 'Api', {
      operations,
      ...(apiWaf && props.domain ? { publicDomainName: props.domain.domainName } : {}),
      state: this.state,
      retain,
      defaults: props.functionDefaults,
      ...(props.tokenConcurrency ? { tokenConcurrency: props.tokenConcurrency } : {}),
      alarms: props.alarms,
      alarmTopicArn: alarmTopic.topic.topicArn,
      signingKeyRotationDays: props.signingKeyRotationDays,
      ...(props.canary ? { canary: props.canary } : {}),
      ...(props.throttles ? { throttles: props.throttles } : {}),
      ...(apiDomain ? { domain: apiDomain } : {}),
      ...(props.mtls?.truststoreVersion ? { mtls: { ...props.mtls, truststoreVersion: props.mtls.truststoreVersion } } : {}),
      ...(props.enrichmentLambdaArns ? { enrichmentLambdaArns: props.enrichmentLambdaArns } : {}),
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      retain,
      signingMode: props.signingMode,
      settings: props.monitoring,
      httpApiId: this.api.httpApi.apiId,
      accessLogs: this.api.accessLogs,
      tokenRouteKey: tokenRouteKey(operations),
      tableName: this.state.table.tableName,
      topicArn: alarmTopic.topic.topicArn,
    });
    if (!retain) {
      // The functions create secrets under latchkey/<stage>/ at run time: the cleanup must outlive
      // them, so it is created before the API and deleted after it.
      const cleanup = new RunTimeSecretsCleanup(this, 'RunTimeSecrets', {
        stage: props.stage,
        prefix: `latchkey/${props.stage}/`,
        ...(props.functionDefaults.logRetention ? { logRetention: props.functionDefaults.logRetention } : {}),
      });
      this.api.node.addDependency(cleanup);
      for (const area of this.api.areas.values()) area.node.addDependency(cleanup);
    }
    if (apiWaf && props.domain && this.api.originVerification) {
      if (!apiWaf.webAclArn && this.region !== 'us-east-1') {
        throw new TypeError('a CloudFront web ACL must be made in us-east-1: pass its ARN (createLatchkeyStack makes a stack for it there)');
      }
      const webAclArn = apiWaf.webAclArn ?? new ApiWebAcl(this, 'ApiWaf', { stage: props.stage, rateLimitPer5Minutes: apiWaf.rateLimitPer5Minutes }).webAcl.attrArn;
      const edge = new ApiDistribution(this, 'ApiEdge', {
        domainName: props.domain.domainName,
        certificateArn: apiWaf.certificateArn,
        originDomainName: apiWaf.originDomainName,
        originSecret: this.api.originVerification.secret,
        webAclArn,
        ...(props.domain.hostedZoneId ? { hostedZoneId: props.domain.hostedZoneId } : {}),
      });
      new CfnOutput(this, 'ApiDistributionDomainName', {
        value: edge.distribution.distributionDomainName,
        description: `Point ${props.domain.domainName} here (CNAME or alias) unless hostedZoneId is set`,
      });
      new CfnOutput(this, 'ApiOriginDomainName', { value: apiWaf.originDomainName, description: 'The API itself: answers only requests through the distribution' });
    }
    if (props.backup) {
      const backup = new TableBackup(this, 'Backup', { stage: props.stage, table: this.state.table, retentionDays: props.backup.retentionDays });
      new CfnOutput(this, 'BackupVaultName', { value: backup.vault.backupVaultName, description: 'The daily recovery points of the table (retained when the stack is deleted)' });
    }
    if (props.console) {
      new LatchkeyConsole(this, 'Console', {
        apiDomainName: props.domain ? props.domain.domainName : apiHostOf(this.api.httpApi.apiEndpoint),
        retain,
        ...(props.console.waf ? { waf: props.console.waf } : {}),
      });
    }
    const enrichmentWebhook = this.api.functions.get('enrichment-webhook');
    if (enrichmentWebhook && props.enrichmentClaimsJson) enrichmentWebhook.fn.addEnvironment('ENRICHMENT_CLAIMS_JSON', props.enrichmentClaimsJson);
    if (enrichmentWebhook) {
      new CfnOutput(this, 'EnrichmentWebhookFunctionArn', {
        value: enrichmentWebhook.fn.functionArn,
        description: 'Example enrichment webhook: use as an application webhook target (Latchkey invokes it directly)',
      });
    }

    new CfnOutput(this, 'ApiUrl', {
      // With a custom domain the execute-api endpoint is turned off.
      value: props.domain ? `https://${props.domain.domainName}/` : this.api.stage.url,
      description: 'Endpoint of the HTTP API',
    });
    new CfnOutput(this, 'Issuer', { value: this.api.issuer, description: 'The iss of every Latchkey token' });
    new CfnOutput(this, 'TableName', { value: this.state.table.tableName });
    if (this.state.activeSigningKey) {
      new CfnOutput(this, 'SigningKeyArn', {
        value: this.state.activeSigningKey.key.keyArn,
        description: `Active signing key (${this.state.activeSigningKey.name})`,
      });
    }
    if (this.state.keyWrappingKey) {
      new CfnOutput(this, 'KeyWrappingKeyArn', { value: this.state.keyWrappingKey.keyArn, description: 'Wraps the private halves of the token signing key pairs' });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topic.topicArn, description: 'Every Latchkey alarm notifies this topic' });
    new CfnOutput(this, 'DashboardName', { value: `Latchkey-${props.stage}` });
    new CfnOutput(this, 'PepperSecretArn', { value: this.state.pepper.secretArn });
    if (this.state.mtlsTruststore && props.mtls) {
      new CfnOutput(this, 'MtlsTruststoreUri', {
        value: this.state.mtlsTruststore.truststoreUri,
        description: 'Upload the PEM bundle of trusted client certificates here, then deploy with -c mtlsTruststoreVersion=<its S3 version ID>',
      });
      if (props.mtls.truststoreVersion) {
        new CfnOutput(this, 'MtlsTokenEndpoint', { value: `https://${props.mtls.domainName}/oauth/v2/token`, description: 'Token endpoint for TLS client certificates' });
      }
    }
  }
}

/**
 * Creates `Latchkey-<stage>` in `app`. With `apiWaf` in a region other than us-east-1, also
 * `Latchkey-<stage>-ApiWaf` in us-east-1 for the web ACL (CloudFront takes web ACLs only from
 * there), whose ARN reaches the main stack as a cross-region reference.
 */
export function createLatchkeyStack(app: App, props: LatchkeyStackProps): LatchkeyStack {
  let apiWaf = props.apiWaf;
  const region = props.env?.region;
  const crossRegion = Boolean(apiWaf && !apiWaf.webAclArn && region !== 'us-east-1');
  if (crossRegion && apiWaf) {
    if (!region || Token.isUnresolved(region)) {
      throw new TypeError('context apiWaf=true needs the stack region known (CDK_DEFAULT_REGION, from your AWS profile): its web ACL goes to us-east-1 unless the stack is there');
    }
    const wafStack = new ApiWebAclStack(app, `Latchkey-${props.stage}-ApiWaf`, {
      env: { account: props.env?.account, region: 'us-east-1' },
      crossRegionReferences: true,
      description: `Latchkey ${props.stage}: the web ACL of the API's CloudFront distribution`,
      stage: props.stage,
      rateLimitPer5Minutes: apiWaf.rateLimitPer5Minutes,
    });
    apiWaf = { ...apiWaf, webAclArn: wafStack.acl.webAcl.attrArn };
  }
  return new LatchkeyStack(app, `Latchkey-${props.stage}`, {
    description: `Latchkey identity and token service (${props.stage})`,
    ...props,
    ...(apiWaf ? { apiWaf } : {}),
    ...(crossRegion ? { crossRegionReferences: true } : {}),
  });
}

/**
 * The whole CDK app: context → stack, with cdk-nag's AWS Solutions checks. `context` is merged
 * over cdk.json's (tests pass `{ 'aws:cdk:bundling-stacks': [] }` to skip esbuild); `overrides`
 * replace props after context parsing (tests use it to try other route tables); `appProps` are
 * the App's other props (tests build without the built-in CloudFormation validation and check it
 * once on its own). `cdk synth` passes none of them.
 */
export function buildApp(
  context: Record<string, unknown> = {},
  overrides: Partial<LatchkeyStackProps> = {},
  appProps: Omit<AppProps, 'context'> = {},
): { app: App; stack: LatchkeyStack } {
  const app = new App({ ...appProps, context });
  const stack = createLatchkeyStack(app, {
    ...latchkeyPropsFromContext(app.node, overrides.operations ?? routeTable),
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
 * - `mtls=true` (needs the custom domain): the mutual-TLS truststore bucket, and with
 *   `mtlsTruststoreVersion` the mTLS domain `mtlsDomainName` (default `mtls.<domainName>`) with
 *   `mtlsCertificateArn` (default `certificateArn`, e.g. a wildcard certificate)
 * - `enrichmentLambdaArns`: comma-separated or JSON array of Lambda ARNs (qualified ones as used)
 *   that enrichment webhooks may target, besides the stack's own (which is always allowed)
 * - `enrichmentClaims`: JSON claims table of the stack's example enrichment webhook
 *   (`{"<applicationId>|*": {"<subjectId>|*": {claims}}}`), set as its ENRICHMENT_CLAIMS_JSON
 * - `signingMode`: `envelope` (default) or `kms`; `signingKeyRotationDays` (envelope, default 30)
 * - `throttles`: JSON per-route throttle overrides by class of route or operation name (lib/throttles.ts)
 * - `logLevel` (default `INFO`), `tracingSampleRate` (0 to 1, default 0.05; 0 turns X-Ray off)
 * - `auditRetentionDays`: how long audit events are kept (1 to 3650, default 400)
 * - `alarmEmail`: subscribed to the alarm topic; `alarmThresholds`: JSON overrides of ALARM_DEFAULTS
 * - `logRetentionDays` (default 30; a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, ...):
 *   every function's log group and the API's access logs
 * - `functionMemory` (MB, default 512): every function
 * - `tokenReservedConcurrency`, `tokenProvisionedConcurrency` (default none): the token endpoint's function
 * - `backup=true`: a daily AWS Backup plan for the table, `backupRetentionDays` (default 35)
 * - `apiWaf=true` (needs the custom domain): CloudFront with AWS WAF serves `domainName`; the API moves
 *   to `apiOriginDomainName` (default `origin.<domainName>`, certificate `apiOriginCertificateArn`,
 *   default `certificateArn`) and answers only CloudFront; `apiWafCertificateArn` (us-east-1; default
 *   `certificateArn` when it is from us-east-1), `apiWafRateLimit` (per IP per 5 minutes, default 2000)
 * - `canary=true`: the canary every minute with its alarms (thresholds `canaryFailures`, `canaryLatencyMs`)
 */
export function latchkeyPropsFromContext(node: Node, operations: readonly Operation[] = routeTable): LatchkeyStackProps {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new TypeError(`context ${key} must be a string`);
    return value.trim();
  };

  const stage = text('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) throw new TypeError(`context stage ${stage} is not a lowercase name`);

  const signingMode = text('signingMode') ?? 'envelope';
  if (signingMode !== 'envelope' && signingMode !== 'kms') throw new TypeError(`context signingMode must be envelope or kms, not ${signingMode}`);
  const signingKeyRotationDays = numberContext(node, 'signingKeyRotationDays', 30, 1, 365);

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
  const domain: CustomDomain | undefined = domainName && certificateArn ? { domainName, certificateArn, ...(hostedZoneId ? { hostedZoneId } : {}) } : undefined;

  const mtlsSwitch: unknown = node.tryGetContext('mtls');
  let mtls: LatchkeyStackProps['mtls'];
  if (mtlsSwitch === true || mtlsSwitch === 'true') {
    if (!domain) throw new TypeError('context mtls=true needs the custom domain (domainName and certificateArn)');
    const truststoreVersion = text('mtlsTruststoreVersion');
    mtls = {
      domainName: text('mtlsDomainName') ?? `mtls.${domain.domainName}`,
      certificateArn: text('mtlsCertificateArn') ?? domain.certificateArn,
      ...(hostedZoneId ? { hostedZoneId } : {}),
      ...(truststoreVersion ? { truststoreVersion } : {}),
    };
    if (mtls.domainName === domain.domainName) throw new TypeError('context mtlsDomainName must differ from domainName');
  } else if (mtlsSwitch !== undefined && mtlsSwitch !== false && mtlsSwitch !== 'false') {
    throw new TypeError('context mtls must be true or false');
  }

  let apiWaf: ApiWafSettings | undefined;
  if (switchContext(node, 'apiWaf')) {
    if (!domain) throw new TypeError('context apiWaf=true needs the custom domain (domainName and certificateArn): CloudFront serves it, the API moves behind it');
    if (mtls) throw new TypeError('context apiWaf=true and mtls=true cannot be combined: CloudFront does not pass client certificates to the API');
    if (switchContext(node, 'console'))
      throw new TypeError('context apiWaf=true and console=true cannot be combined yet: the console distribution would call the API without the origin header');
    const edgeCertificateArn = text('apiWafCertificateArn') ?? (/^arn:aws[a-z-]*:acm:us-east-1:/.test(domain.certificateArn) ? domain.certificateArn : undefined);
    if (!edgeCertificateArn || !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/.+$/.test(edgeCertificateArn)) {
      throw new TypeError('context apiWaf=true: CloudFront needs a certificate for domainName in us-east-1: set apiWafCertificateArn (or make certificateArn one from us-east-1)');
    }
    const originDomainName = text('apiOriginDomainName') ?? `origin.${domain.domainName}`;
    if (originDomainName === domain.domainName) throw new TypeError('context apiOriginDomainName must differ from domainName');
    apiWaf = {
      certificateArn: edgeCertificateArn,
      originDomainName,
      originCertificateArn: text('apiOriginCertificateArn') ?? domain.certificateArn,
      rateLimitPer5Minutes: numberContext(node, 'apiWafRateLimit', 2000, 10, 2_000_000_000),
    };
  }

  const enrichmentLambdaArns = nameList(node.tryGetContext('enrichmentLambdaArns'), 'enrichmentLambdaArns');
  for (const arn of enrichmentLambdaArns ?? []) {
    if (!isLambdaArn(arn)) throw new TypeError(`context enrichmentLambdaArns: ${arn} is not a Lambda function ARN`);
  }

  const claimsContext: unknown = node.tryGetContext('enrichmentClaims');
  const enrichmentClaimsJson = claimsContext === undefined || claimsContext === '' ? undefined : typeof claimsContext === 'string' ? claimsContext : JSON.stringify(claimsContext);
  if (enrichmentClaimsJson) parseStaticClaims(enrichmentClaimsJson); // fails synthesis, not the first request

  const logLevel = (text('logLevel') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new TypeError(`context logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const tracingSampleRate = numberContext(node, 'tracingSampleRate', 0.05, 0, 1);
  const auditRetentionDays = numberContext(node, 'auditRetentionDays', 400, 1, 3650);
  if (!Number.isInteger(auditRetentionDays)) throw new TypeError('context auditRetentionDays must be a whole number of days');
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) throw new TypeError(`context alarmEmail ${alarmEmail} is not an email address`);
  const thresholds = alarmThresholds(node.tryGetContext('alarmThresholds'), signingMode);
  const consoleSettings = consoleContext(node, text);
  const logRetentionDays = numberContext(node, 'logRetentionDays', RetentionDays.ONE_MONTH, 1, RetentionDays.INFINITE);
  if (!RETENTION_DAYS.includes(logRetentionDays)) throw new TypeError(`context logRetentionDays must be one of CloudWatch Logs' retentions: ${RETENTION_DAYS.join(', ')}`);
  const memorySize = numberContext(node, 'functionMemory', 512, 128, 10_240);
  if (!Number.isInteger(memorySize)) throw new TypeError('context functionMemory must be a whole number of MB');
  const tokenConcurrency = concurrencyContext(node);
  const backup = switchContext(node, 'backup') ? { retentionDays: numberContext(node, 'backupRetentionDays', 35, 1, 36_500) } : undefined;
  if (!backup && ![undefined, null, ''].includes(node.tryGetContext('backupRetentionDays'))) throw new TypeError('context backupRetentionDays needs backup=true');

  return {
    stage,
    signingMode,
    signingKeyRotationDays,
    signingKeys,
    activeSigningKey,
    throttles: parseThrottleOverrides(node.tryGetContext('throttles'), operations),
    functionDefaults: {
      logLevel,
      tracing: tracingSampleRate > 0,
      auditRetentionDays,
      ...(logRetentionDays !== RetentionDays.ONE_MONTH ? { logRetention: logRetentionDays as RetentionDays } : {}),
      ...(memorySize !== 512 ? { memorySize } : {}),
    },
    ...(tokenConcurrency ? { tokenConcurrency } : {}),
    ...(backup ? { backup } : {}),
    ...(switchContext(node, 'canary') ? { canary: { failures: thresholds.canaryFailures, latencyMs: thresholds.canaryLatencyMs } } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    alarms: {
      lambdaErrors: thresholds.lambdaErrors,
      lambdaThrottles: thresholds.lambdaThrottles,
      kmsFailures: thresholds.kmsFailures,
      webhookFailures: thresholds.webhookFailures,
      clientAuthenticationThrottled: thresholds.clientAuthenticationThrottled,
    },
    monitoring: {
      api5xxPercent: thresholds.api5xxPercent,
      api4xxPercent: thresholds.api4xxPercent,
      api429Percent: thresholds.api429Percent,
      tokenLatencyP99Ms: thresholds.tokenLatencyP99Ms,
      dynamoDbThrottles: thresholds.dynamoDbThrottles,
      kmsRequestsPerSecond: thresholds.kmsRequestsPerSecond,
      tracingSampleRate,
    },
    ...(domain ? { domain } : {}),
    ...(mtls ? { mtls } : {}),
    ...(apiWaf ? { apiWaf } : {}),
    ...(enrichmentLambdaArns ? { enrichmentLambdaArns } : {}),
    ...(enrichmentClaimsJson ? { enrichmentClaimsJson } : {}),
    ...(consoleSettings ? { console: consoleSettings } : {}),
  };
}

/**
 * `console=true`: the admin console and the CloudFront distribution in front of it and the API;
 * `waf=true` (needs the console) adds a web ACL with a rate-based rule of `wafRateLimit` requests per
 * client IP in 5 minutes (default 2000), or attaches `wafWebAclArn` (one made in us-east-1).
 */
function consoleContext(node: Node, text: (key: string) => string | undefined): LatchkeyStackProps['console'] {
  const on = (key: string): boolean => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === false || value === 'false') return false;
    if (value === true || value === 'true') return true;
    throw new TypeError(`context ${key} must be true or false`);
  };
  const waf = on('waf');
  if (!on('console')) {
    if (waf) throw new TypeError('context waf=true needs console=true: the web ACL attaches to the console distribution');
    return undefined;
  }
  if (!waf) return {};
  const webAclArn = text('wafWebAclArn');
  if (webAclArn !== undefined && !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/.test(webAclArn)) {
    throw new TypeError(`context wafWebAclArn ${webAclArn} is not the ARN of a CLOUDFRONT-scope web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/...)`);
  }
  return { waf: { rateLimitPer5Minutes: numberContext(node, 'wafRateLimit', 2000, 10, 2_000_000_000), ...(webAclArn ? { webAclArn } : {}) } };
}

/** `key=true` or `key=false` (a string from the CLI, a boolean from cdk.json or tests); absent is false. */
function switchContext(node: Node, key: string): boolean {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new TypeError(`context ${key} must be true or false`);
}

/** The token function's reserved and provisioned concurrency; provisioned instances must fit in the reserved ones. */
function concurrencyContext(node: Node): FunctionConcurrency | undefined {
  const given = (key: string) => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : numberContext(node, key, 0, 1, 10_000);
  };
  const reserved = given('tokenReservedConcurrency');
  const provisioned = given('tokenProvisionedConcurrency');
  for (const [key, value] of [
    ['tokenReservedConcurrency', reserved],
    ['tokenProvisionedConcurrency', provisioned],
  ] as const) {
    if (value !== undefined && !Number.isInteger(value)) throw new TypeError(`context ${key} must be a whole number`);
  }
  if (reserved !== undefined && provisioned !== undefined && provisioned > reserved) {
    throw new TypeError(`context tokenProvisionedConcurrency (${provisioned}) cannot exceed tokenReservedConcurrency (${reserved})`);
  }
  if (reserved === undefined && provisioned === undefined) return undefined;
  return { ...(reserved !== undefined ? { reserved } : {}), ...(provisioned !== undefined ? { provisioned } : {}) };
}

/** CloudWatch Logs accepts only these retentions (days; 9999 keeps logs forever). */
const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter((days): days is number => typeof days === 'number');

function nameList(value: unknown, key = 'signingKeys'): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') list = value.trim().startsWith('[') ? JSON.parse(value) : value.split(',');
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw new TypeError(`context ${key} must be comma-separated names or a JSON array of names`);
  }
  const names = list.map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) throw new TypeError(`context ${key} names nothing`);
  return names;
}

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

/**
 * Alarm thresholds (context `alarmThresholds`, a JSON object overriding any of these). Counts are per
 * five minutes; see docs/operations.md for what each alarm means.
 */
export const ALARM_DEFAULTS = {
  /** Percentage of API answers that are 5xx. */
  api5xxPercent: 1,
  /** Percentage of API answers that are 4xx (over at least 20 requests). */
  api4xxPercent: 25,
  /** Percentage of API answers that are 429, throttled by API Gateway or by Latchkey (over at least 20 requests). */
  api429Percent: 5,
  /** p99 latency of the token route in milliseconds (cold starts included). */
  tokenLatencyP99Ms: 1000,
  dynamoDbThrottles: 10,
  /** KMS requests per second on the signing path; KMS mode: 80% of the shared 300/s ECC quota. */
  kmsRequestsPerSecond: { kms: 240, envelope: 1000 },
  lambdaErrors: 5,
  lambdaThrottles: 1,
  kmsFailures: 1,
  webhookFailures: 5,
  clientAuthenticationThrottled: 20,
  /** Failed canary runs in five minutes (one run a minute); no run at all counts as failing. */
  canaryFailures: 2,
  /** Average milliseconds of a canary run (JWKS, token, verification), two periods. */
  canaryLatencyMs: 2000,
} as const;

type Thresholds = { -readonly [K in keyof typeof ALARM_DEFAULTS]: number };

function alarmThresholds(value: unknown, signingMode: SigningMode): Thresholds {
  const defaults: Thresholds = { ...ALARM_DEFAULTS, kmsRequestsPerSecond: ALARM_DEFAULTS.kmsRequestsPerSecond[signingMode] };
  if (value === undefined || value === null || value === '') return defaults;
  const given: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new TypeError('context alarmThresholds must be a JSON object');
  for (const [key, threshold] of Object.entries(given)) {
    if (!(key in defaults)) throw new TypeError(`context alarmThresholds: unknown alarm ${key} (known: ${Object.keys(defaults).join(', ')})`);
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0) throw new TypeError(`context alarmThresholds: ${key} must be a positive number`);
    defaults[key as keyof Thresholds] = threshold;
  }
  return defaults;
}

function numberContext(node: Node, key: string, fallback: number, min: number, max: number): number {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new TypeError(`context ${key} must be a number from ${min} to ${max}`);
  return parsed;
}
