import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { ApiMapping, type CfnStage, DomainName, HttpApi, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { ApiArea, areaOf, invokeOnlyOutput, pascalCase, routeKeyOf } from './api-area';
import { MtlsTruststore } from './constructs/mtls-truststore';
import { OriginVerification } from './edge/origin-verification';
import type { FunctionConcurrency, FunctionDefaults, LatchkeyFunction } from './constructs/latchkey-function';
import type { AlarmSettings } from './monitoring/area-alarms';
import type { CanarySettings } from './monitoring/canary-alarms';
import { effectiveThrottle, type ThrottleOverrides } from './throttles';
import { DEFAULT_ROUTE, type Operation } from './routes';
import type { LatchkeyState } from './state';

export interface CustomDomain {
  readonly domainName: string;
  readonly certificateArn: string;
  /** When given, an alias record for `domainName` is created in this Route 53 zone. */
  readonly hostedZoneId?: string;
}

/**
 * A second custom domain that requires mutual TLS (RFC 8705): clients that authenticate with a TLS
 * certificate call the token endpoint here. A separate name, because API Gateway then refuses every
 * handshake without a trusted certificate, which the management API's callers do not have.
 */
export interface MutualTlsDomain {
  readonly domainName: string;
  readonly certificateArn: string;
  readonly hostedZoneId?: string;
  /** The S3 version of `truststore.pem` to serve; redeploy with a new one after each upload. */
  readonly truststoreVersion: string;
}

export interface LatchkeyApiProps {
  readonly operations: readonly Operation[];
  readonly state: LatchkeyState;
  readonly retain: boolean;
  readonly domain?: CustomDomain;
  /** Needs `state.mtlsTruststore`. */
  readonly mtls?: MutualTlsDomain;
  /** Lambda functions besides the stack's own enrichment webhook that applications may name as webhook targets. */
  readonly enrichmentLambdaArns?: readonly string[];
  readonly throttles?: ThrottleOverrides;
  readonly defaults: FunctionDefaults;
  /** Reserved and provisioned concurrency of the token endpoint's function. */
  readonly tokenConcurrency?: FunctionConcurrency;
  /** Per-area alarm thresholds; the topic is added here. */
  readonly alarms: Omit<AlarmSettings, 'topicArn'>;
  readonly alarmTopicArn: string;
  readonly signingKeyRotationDays: number;
  /**
   * Behind CloudFront (context `apiWaf=true`): the public name clients call and the issuer's host;
   * `domain` is then the API's own origin domain, and every route checks CloudFront's origin header.
   */
  readonly publicDomainName?: string;
  /** The canary's schedule and alarm thresholds (context `canary=true`). */
  readonly canary?: CanarySettings;
}

/**
 * Latchkey's HTTP API, built entirely from the route table: one function per operation, routed at
 * each of its routes, with the access the table names. The API, its stage and domains live in the
 * top-level stack; the functions, routes and integrations of each area of the route table
 * (`functions/<area>/`) in a nested stack of their own (`ApiArea`), which keeps every stack far from
 * CloudFormation's resource limit however many operations an area gains.
 */
export class LatchkeyApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The `iss` of every token and the base of every discovery URL, without a trailing slash. */
  readonly issuer: string;
  readonly functions: ReadonlyMap<string, LatchkeyFunction>;
  readonly areas: ReadonlyMap<string, ApiArea>;
  /** The stage's access log group (one JSON line per request). */
  readonly accessLogs: LogGroup;
  /** With `publicDomainName`: the origin secret CloudFront sends and the authorizer that checks it. */
  readonly originVerification: OriginVerification | undefined;

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const stack = Stack.of(this);

    // The stage is created explicitly (not `createDefaultStage`) to give it access logs and throttling.
    // With a custom domain, the execute-api endpoint is turned off: the domain is the only way in
    // (and the issuer), so nobody can bypass its TLS policy or mutual TLS.
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: stack.stackName,
      createDefaultStage: false,
      disableExecuteApiEndpoint: props.domain !== undefined,
    });
    const domainName = props.domain && this.customDomain(props.domain);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.defaults.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy });
    this.accessLogs = accessLogs;
    assertUniqueRoutes(props.operations);
    const routeThrottles = props.operations.flatMap((operation) => operation.routes.map((route) => [routeKeyOf(route), effectiveThrottle(operation, props.throttles)] as const));
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // Routes without their own setting (none today) get the largest route throttle.
      throttle: {
        rateLimit: Math.max(...routeThrottles.map(([, t]) => t.rateLimit)),
        burstLimit: Math.max(...routeThrottles.map(([, t]) => t.burstLimit)),
      },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });
    const tokenRoute = tokenRouteKey(props.operations);
    // RouteSettings is untyped JSON in CloudFormation's schema: CDK passes it as written, so the
    // property names are CloudFormation's.
    (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      routeThrottles.map(([key, throttle]) => [
        key,
        {
          ThrottlingRateLimit: throttle.rateLimit,
          ThrottlingBurstLimit: throttle.burstLimit,
          // Per-route metrics for the token route only: its latency is alarmed, the rest would cost without use.
          ...(key === tokenRoute ? { DetailedMetricsEnabled: true } : {}),
        },
      ]),
    );
    // Explicit rather than the stage's `domainMapping`, which derives an odd logical id.
    if (domainName) new ApiMapping(this, 'ApiMapping', { api: this.httpApi, domainName, stage: this.stage });
    if (props.mtls) this.mutualTlsDomain(props.mtls, props.state);

    // The functions read the issuer from their environment. `apiEndpoint` is an attribute of the
    // Api resource alone, so functions depend on the Api, routes on the functions: no cycle.
    if (props.publicDomainName && !props.domain) throw new TypeError('an API behind CloudFront needs its own origin domain');
    this.issuer = props.publicDomainName ? `https://${props.publicDomainName}` : props.domain ? `https://${props.domain.domainName}` : this.httpApi.apiEndpoint;
    this.originVerification = props.publicDomainName
      ? new OriginVerification(this, 'OriginVerification', {
          stage: props.state.refs.stage,
          retain: props.retain,
          httpApi: this.httpApi,
          ...(props.defaults.logRetention ? { logRetention: props.defaults.logRetention } : {}),
        })
      : undefined;

    // Behind CloudFront, API Gateway sees only edge servers: the functions read the client's address
    // from the viewer address header, which only the distribution can set (every route checks its origin header).
    const defaults: FunctionDefaults = this.originVerification ? { ...props.defaults, behindCloudFront: true } : props.defaults;
    const byArea = new Map<string, Operation[]>();
    for (const operation of props.operations) byArea.set(areaOf(operation), [...(byArea.get(areaOf(operation)) ?? []), operation]);
    const areas = new Map<string, ApiArea>();
    const functions = new Map<string, LatchkeyFunction>();
    for (const [area, operations] of byArea) {
      const nested = new ApiArea(stack, `${pascalCase(area)}Area`, {
        area,
        operations,
        state: props.state.refs,
        httpApiId: this.httpApi.apiId,
        issuer: this.issuer,
        retain: props.retain,
        stackName: stack.stackName,
        defaults,
        tokenRouteKey: tokenRoute,
        ...(props.tokenConcurrency ? { tokenConcurrency: props.tokenConcurrency } : {}),
        alarms: { ...props.alarms, topicArn: props.alarmTopicArn },
        signingKeyRotationDays: props.signingKeyRotationDays,
        ...(props.canary ? { canary: props.canary } : {}),
        ...(this.originVerification ? { originAuthorizerId: this.originVerification.authorizer.authorizerId } : {}),
      });
      areas.set(area, nested);
      for (const [name, fn] of nested.functions) functions.set(name, fn);
      // Route settings name route keys, which must exist when the stage is updated.
      this.stage.node.addDependency(nested);
    }

    // Grants come second: an operation may be granted the invocation of another one's function.
    const ownWebhook = functions.get('enrichment-webhook');
    const invokable = { enrichmentWebhooks: [...(ownWebhook ? [ownWebhook.fn.functionArn] : []), ...(props.enrichmentLambdaArns ?? [])] };
    for (const nested of areas.values()) nested.wire(invokable);
    for (const operation of props.operations) {
      if (operation.routes.length === 0) invokeOnlyOutput(stack, operation, functions.get(operation.name)!);
    }
    this.functions = functions;
    this.areas = areas;
  }

  private mutualTlsDomain(mtls: MutualTlsDomain, state: LatchkeyState): void {
    if (!state.mtlsTruststore) throw new TypeError('a mutual TLS domain needs the truststore of LatchkeyState (mtlsTruststore: true)');
    const domainName = new DomainName(this, 'MtlsDomainName', {
      domainName: mtls.domainName,
      certificate: Certificate.fromCertificateArn(this, 'MtlsCertificate', mtls.certificateArn),
      mtls: { bucket: state.mtlsTruststore.bucket, key: MtlsTruststore.KEY, version: mtls.truststoreVersion },
    });
    new ApiMapping(this, 'MtlsApiMapping', { api: this.httpApi, domainName, stage: this.stage });
    if (mtls.hostedZoneId) {
      new ARecord(this, 'MtlsAliasRecord', {
        zone: HostedZone.fromHostedZoneId(this, 'MtlsHostedZone', mtls.hostedZoneId),
        recordName: `${mtls.domainName}.`,
        target: RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId)),
      });
    }
  }

  private customDomain(domain: CustomDomain): DomainName {
    const domainName = new DomainName(this, 'DomainName', {
      domainName: domain.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
    });
    if (domain.hostedZoneId) {
      new ARecord(this, 'AliasRecord', {
        zone: HostedZone.fromHostedZoneId(this, 'HostedZone', domain.hostedZoneId),
        // Fully qualified (trailing dot), so the zone's name is never needed.
        recordName: `${domain.domainName}.`,
        target: RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId)),
      });
    }
    return domainName;
  }
}

/** The route key of the token endpoint (the `token` operation's first route). */
export function tokenRouteKey(operations: readonly Operation[]): string {
  const token = operations.find((operation) => operation.name === 'token');
  return token?.routes[0] ? routeKeyOf(token.routes[0]) : 'POST /oauth/v2/token';
}

/** Two operations on one name or route key would deploy, then fail in CloudFormation: fail at synth. */
function assertUniqueRoutes(operations: readonly Operation[]): void {
  const names = new Set<string>();
  const keys = new Map<string, string>();
  for (const operation of operations) {
    if (names.has(operation.name)) throw new TypeError(`operation ${operation.name} is declared twice`);
    names.add(operation.name);
    for (const { method, path } of operation.routes) {
      const key = path === DEFAULT_ROUTE.path ? path : `${method} ${path}`;
      const other = keys.get(key);
      if (other) throw new TypeError(`route ${key} is declared by both ${other} and ${operation.name}`);
      keys.set(key, operation.name);
    }
  }
}

/** JSON access log lines; no headers, query strings or bodies: they carry credentials and tokens. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      apiId: '$context.apiId',
      requestTime: '$context.requestTime',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      routeKey: '$context.routeKey',
      method: '$context.httpMethod',
      path: '$context.path',
      status: '$context.status',
      responseLength: '$context.responseLength',
      latencyMs: '$context.responseLatency',
      integrationLatencyMs: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      domainName: '$context.domainName',
    }),
  );
}
