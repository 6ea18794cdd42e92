import { Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { ARecord, AaaaRecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { CloudFrontTarget } from 'aws-cdk-lib/aws-route53-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_HEADER } from './origin-header';

export interface ApiDistributionProps {
  /** The public name clients call (and the issuer's host). */
  readonly domainName: string;
  /** An ACM certificate for `domainName` in us-east-1 (CloudFront reads certificates only there). */
  readonly certificateArn: string;
  /** The API's own custom domain, which only CloudFront calls. */
  readonly originDomainName: string;
  /** Sent to the origin as `x-latchkey-origin-verify`; the API refuses requests without it. */
  readonly originSecret: ISecret;
  /** The CLOUDFRONT-scope web ACL (made in us-east-1). */
  readonly webAclArn: string;
  /** When given, alias records for `domainName` point at the distribution. */
  readonly hostedZoneId?: string;
}

/**
 * CloudFront in front of the HTTP API (context `apiWaf=true`), where AWS WAF can attach: clients
 * call `domainName`, CloudFront calls the API's own domain with the origin secret as a header,
 * nothing is cached, and every viewer header but Host reaches the API, with the viewer's address.
 */
export class ApiDistribution extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: ApiDistributionProps) {
    super(scope, id);
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Latchkey API ${props.domainName} behind AWS WAF`,
      domainNames: [props.domainName],
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: new HttpOrigin(props.originDomainName, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          // A dynamic reference: CloudFormation reads the secret at deploy time; the value is in no template.
          customHeaders: { [ORIGIN_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
        }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // Every viewer header but Host (API Gateway routes its custom domain by Host), and CloudFront's
        // own headers, `CloudFront-Viewer-Address` among them: the functions read the client's address
        // from it (`clientAddress`). A policy of our own cannot have both: `allExcept` adds no
        // CloudFront header, and the behaviour that adds them also sends Host.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
    });
    Validations.of(this.distribution).acknowledge({ id: 'AwsSolutions-CFR1', reason: 'Latchkey is an identity service for callers anywhere; no country is refused by default.' });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        "Every request CloudFront passes on is in the API's access logs (with the client's address); requests the web ACL blocks are in its metrics and sampled requests. A CloudFront log bucket would duplicate them.",
    });
    if (props.hostedZoneId) {
      const zone = HostedZone.fromHostedZoneId(this, 'HostedZone', props.hostedZoneId);
      const target = RecordTarget.fromAlias(new CloudFrontTarget(this.distribution));
      new ARecord(this, 'AliasRecord', { zone, recordName: `${props.domainName}.`, target });
      new AaaaRecord(this, 'AliasRecordIpv6', { zone, recordName: `${props.domainName}.`, target });
    }
  }
}
