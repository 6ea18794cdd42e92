import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { grantAccess } from './constructs/grant-access';
import { MtlsTruststore } from './constructs/mtls-truststore';
import { LatchkeyFunction } from './constructs/latchkey-function';
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
}

/**
 * Latchkey's HTTP API, built entirely from the route table: one function per operation, routed at
 * each of its routes, with the access the table names.
 */
export class LatchkeyApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The `iss` of every token and the base of every discovery URL, without a trailing slash. */
  readonly issuer: string;
  readonly functions: ReadonlyMap<string, LatchkeyFunction>;

  constructor(scope: Construct, id: string, props: LatchkeyApiProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // The stage is created explicitly (not `createDefaultStage`) to give it access logs and throttling.
    this.httpApi = new HttpApi(this, 'HttpApi', { apiName: Stack.of(this).stackName, createDefaultStage: false });
    const domainName = props.domain && this.customDomain(props.domain);
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { burstLimit: 200, rateLimit: 100 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat() },
    });
    // Explicit rather than the stage's `domainMapping`, which derives an odd logical id.
    if (domainName) new ApiMapping(this, 'ApiMapping', { api: this.httpApi, domainName, stage: this.stage });
    if (props.mtls) this.mutualTlsDomain(props.mtls, props.state);

    // The functions read the issuer from their environment. `apiEndpoint` is an attribute of the
    // Api resource alone, so functions depend on the Api, routes on the functions: no cycle.
    this.issuer = props.domain ? `https://${props.domain.domainName}` : this.httpApi.apiEndpoint;

    assertUniqueRoutes(props.operations);
    const functions = new Map<string, LatchkeyFunction>();
    for (const operation of props.operations) {
      const fn = new LatchkeyFunction(this, operation.name, {
        handler: operation.handler,
        operationName: operation.name,
        issuer: this.issuer,
        retain: props.retain,
      });
      functions.set(operation.name, fn);
    }
    // Grants come second: an operation may be granted the invocation of another one's function.
    const ownWebhook = functions.get('enrichment-webhook');
    const invokable = { enrichmentWebhooks: [...(ownWebhook ? [ownWebhook.fn.functionArn] : []), ...(props.enrichmentLambdaArns ?? [])] };
    for (const operation of props.operations) {
      const fn = functions.get(operation.name)!;
      grantAccess(fn.fn, operation.access, props.state, invokable);
      if (operation.routes.length > 0) this.route(operation, fn);
      else invokeOnly(operation, fn);
    }
    this.functions = functions;
  }

  private route(operation: Operation, fn: LatchkeyFunction): void {
    // One integration per function, shared by all of its routes.
    const integration = new HttpLambdaIntegration(`${operation.name}-integration`, fn.fn, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of operation.routes) {
      const isDefault = route.method === DEFAULT_ROUTE.method && route.path === DEFAULT_ROUTE.path;
      const routeKey = isDefault
        ? HttpRouteKey.DEFAULT
        : HttpRouteKey.with(route.path, HttpMethod[route.method as keyof typeof HttpMethod]);
      const httpRoute = new HttpRoute(this, `${operation.name}-${routeKey.key}`, {
        httpApi: this.httpApi,
        routeKey,
        integration,
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
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId),
        ),
      });
    }
    return domainName;
  }
}

/**
 * An operation without routes (such as bootstrap) gets no integration, so API Gateway has no
 * permission to invoke it: only IAM principals allowed `lambda:InvokeFunction` can. The stack
 * outputs its name (`bootstrap` → `BootstrapFunctionName`) for the command that invokes it.
 */
function invokeOnly(operation: Operation, fn: LatchkeyFunction): void {
  const pascal = operation.name.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
  new CfnOutput(Stack.of(fn), `${pascal}FunctionName`, {
    value: fn.fn.functionName,
    description: `Lambda function of the ${operation.name} operation (IAM invoke only, no HTTP route)`,
  });
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
