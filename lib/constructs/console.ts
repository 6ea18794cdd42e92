import { join } from 'node:path';
import { CfnOutput, DockerImage, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import { buildConsoleSync } from '../../console/build';
import { CONSOLE_CSP, CONSOLE_SECURITY_HEADERS, HSTS_MAX_AGE_SECONDS } from '../../console/security-headers';
import { REPO_ROOT } from './latchkey-function';

/**
 * The admin console in AWS: its static bundle in a private, encrypted S3 bucket that only CloudFront
 * may read (Origin Access Control), behind ONE CloudFront distribution that also fronts the HTTP API.
 * The console and the API share an origin, so the console needs no CORS and its CSP can say
 * `connect-src 'self'`. The distribution is also where a WAF web ACL can attach (HTTP APIs cannot
 * take one): with `waf`, a rate-based rule per client IP and AWS's known-bad-inputs rules.
 *
 * A CLOUDFRONT-scope web ACL must live in us-east-1: it is made here when the stack is in us-east-1,
 * and for a stack elsewhere one made in us-east-1 is attached by its ARN (`webAclArn`).
 */

export const CONSOLE_PREFIX = 'console';

export interface ConsoleWaf {
  /** Requests one client IP may make in any 5 minutes before it is blocked (AWS's minimum is 10). */
  readonly rateLimitPer5Minutes: number;
  /** An existing CLOUDFRONT-scope web ACL (made in us-east-1) instead of one made here. */
  readonly webAclArn?: string;
}

export interface ConsoleProps {
  /** Host name of the HTTP API: its execute-api host, or the custom domain when that one is disabled. */
  readonly apiDomainName: string;
  readonly retain: boolean;
  readonly waf?: ConsoleWaf;
  /** @default console/ of the repository, bundled with esbuild at synthesis */
  readonly sourceDir?: string;
}

export class LatchkeyConsole extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly webAclArn?: string;
  readonly consoleResponseHeaders: ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.logBucket = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with an ACL.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects: !props.retain,
    });
    acknowledge(this.logBucket, [{ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket of the console bucket and distribution; logging it into itself would loop.' }]);

    this.bucket = new Bucket(this, 'Bundle', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy,
      autoDeleteObjects: !props.retain,
    });

    const headers = CONSOLE_SECURITY_HEADERS;
    const hsts = { accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS), includeSubdomains: true, override: true };
    this.consoleResponseHeaders = new ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: 'Latchkey console: strict CSP, no framing, HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: hsts,
      },
      customHeadersBehavior: {
        customHeaders: ['cross-origin-opener-policy', 'cross-origin-resource-policy', 'permissions-policy'].map((header) => ({
          header,
          value: headers[header]!,
          override: true,
        })),
      },
    });
    // The API sets its own headers per answer; the edge adds only what HTTPS-only service needs.
    const apiResponseHeaders = new ResponseHeadersPolicy(this, 'ApiHeaders', {
      comment: 'Latchkey API through CloudFront: HSTS and nosniff',
      securityHeadersBehavior: { strictTransportSecurity: hsts, contentTypeOptions: { override: false } },
    });

    // `/console` → `/console/`, and a folder path → its index.html (S3 has no default documents).
    const consolePaths = new CloudFrontFunction(this, 'ConsolePaths', {
      comment: 'Latchkey console: index documents',
      code: FunctionCode.fromInline(
        "function handler(event){var r=event.request;if(r.uri==='/console'){return{statusCode:308,statusDescription:'Permanent Redirect',headers:{location:{value:'/console/'}}};}if(r.uri.endsWith('/')){r.uri+='index.html';}return r;}",
      ),
    });

    this.webAclArn = props.waf ? (props.waf.webAclArn ?? this.webAcl(props.waf.rateLimitPer5Minutes).attrArn) : undefined;

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Latchkey: the HTTP API and the admin console on one origin',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(this.webAclArn ? { webAclId: this.webAclArn } : {}),
      defaultBehavior: {
        origin: new HttpOrigin(props.apiDomainName, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY, originSslProtocols: [OriginSslPolicy.TLS_V1_2] }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        // Every answer is per caller: nothing cached, every header but Host (API Gateway routes by its own host) passed on.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: apiResponseHeaders,
      },
      additionalBehaviors: {
        [`${CONSOLE_PREFIX}*`]: {
          origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: this.consoleResponseHeaders,
          functionAssociations: [{ function: consolePaths, eventType: FunctionEventType.VIEWER_REQUEST }],
        },
      },
    });
    acknowledge(this.distribution, [
      { id: 'AwsSolutions-CFR1', reason: 'Latchkey is an identity service for callers anywhere; no country is refused by default.' },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses its default *.cloudfront.net certificate, whose TLS floor CloudFront sets; a custom domain with TLSv1.2_2021 is a deployment choice (docs/console.md).',
      },
      ...(this.webAclArn ? [] : [{ id: 'AwsSolutions-CFR2', reason: 'The WAF web ACL is opt-in (context waf=true): it has a monthly cost and a rate limit to choose.' }]),
    ]);

    const sourceDir = props.sourceDir ?? join(REPO_ROOT, CONSOLE_PREFIX);
    new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(sourceDir, {
          exclude: ['dist', 'dist/**'],
          bundling: {
            // Never pulled: the local esbuild build below always answers. CDK asks for an image regardless.
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20-slim'),
            local: {
              tryBundle(outputDir) {
                buildConsoleSync(outputDir);
                return true;
              },
            },
          },
        }),
      ],
      destinationBucket: this.bucket,
      destinationKeyPrefix: `${CONSOLE_PREFIX}/`,
      // index.html names hashed files, so revalidating it is enough for a new build to show.
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: [`/${CONSOLE_PREFIX}/*`],
      memoryLimit: 256,
    });
    this.acknowledgeCdkHelpers(stack);

    new CfnOutput(stack, 'ConsoleUrl', {
      value: `https://${this.distribution.distributionDomainName}/${CONSOLE_PREFIX}/`,
      description: 'The admin console (same origin as the API below)',
    });
    new CfnOutput(stack, 'DistributionUrl', { value: `https://${this.distribution.distributionDomainName}/`, description: 'The API and the console through CloudFront' });
  }

  private webAcl(rateLimitPer5Minutes: number): CfnWebACL {
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) || region !== 'us-east-1') {
      throw new TypeError(
        `context waf=true: a CloudFront web ACL must be made in us-east-1, and this stack is in ${Token.isUnresolved(region) ? 'an unspecified region' : region}; ` +
          'deploy in us-east-1, or make the web ACL there and pass -c wafWebAclArn=<its ARN>',
      );
    }
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    return new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('latchkey-edge'),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('latchkey-rate-per-ip'),
        },
        {
          name: 'known-bad-inputs',
          priority: 1,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          visibilityConfig: visibility('latchkey-known-bad-inputs'),
        },
      ],
    });
  }

  /**
   * The CDK's own bucket-deployment helper: AWS's code with the role the CDK gives it. Each finding is
   * acknowledged by its exact permission, so a wider grant added later still fails synthesis.
   */
  private acknowledgeCdkHelpers(stack: Stack): void {
    // cdk-nag names a value the stack does not know yet by its pseudo parameter.
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const bundleArn = `<${stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/*`;
    const copy = 'The CDK bucket-deployment helper copies the console bundle from the CDK asset bucket into the console bucket (as the CDK grants it)';
    const findings = [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The CDK bucket-deployment helper writes its logs with the basic execution role, as the CDK defines it.',
      },
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: `${copy}.` })),
      { id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::cdk-hnb659fds-assets-${account}-${region}/*]`, reason: `${copy}: it reads the asset objects.` },
      { id: `AwsSolutions-IAM5[Resource::${bundleArn}]`, reason: `${copy}: it writes and prunes the console objects.` },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'cloudfront:CreateInvalidation after a deployment supports no resource-level permission.' },
      { id: 'AwsSolutions-L1', reason: 'The CDK chooses and updates the runtime of its bucket-deployment helper.' },
    ];
    for (const helper of stack.node.children.filter((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))) {
      for (const role of helper.node.findAll()) acknowledge(role, findings);
    }
  }
}

/** The HTTP API's host name from its endpoint URL (`https://<id>.execute-api.<region>.amazonaws.com`). */
export function apiHostOf(apiEndpoint: string): string {
  return Fn.select(2, Fn.split('/', apiEndpoint));
}

/** cdk-nag findings accepted for a construct and what it contains, each with its reason. */
function acknowledge(scope: IConstruct, findings: readonly { id: string; reason: string }[]): void {
  for (const finding of findings) Validations.of(scope).acknowledge(finding);
}
