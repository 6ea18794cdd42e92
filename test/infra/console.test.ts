import { afterEach, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { CONSOLE_CSP } from '../../console/security-headers';
import { buildStack, nagFindings, ofType, type Built, type Json } from './build-stack';

/** The console in AWS: private encrypted bucket read only through CloudFront, one distribution for console and API, its headers, the optional WAF. */

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
const region = process.env.CDK_DEFAULT_REGION;

afterEach(() => {
  if (region === undefined) delete process.env.CDK_DEFAULT_REGION;
  else process.env.CDK_DEFAULT_REGION = region;
});

function buildIn(awsRegion: string | undefined, context: Record<string, unknown>): Built {
  if (awsRegion === undefined) delete process.env.CDK_DEFAULT_REGION;
  else process.env.CDK_DEFAULT_REGION = awsRegion;
  return buildStack(context);
}

const single = (built: Built, type: string): Json => {
  const found = ofType(built.resources, type);
  expect(found, type).toHaveLength(1);
  return found[0]![1];
};

function consoleBucket(built: Built): [string, Json] {
  const buckets = ofType(built.resources, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('ConsoleBundle'));
  expect(buckets).toHaveLength(1);
  return buckets[0]!;
}

describe('console off (the default)', () => {
  it('adds no distribution, bucket or web ACL', () => {
    const built = buildStack();
    for (const type of ['AWS::CloudFront::Distribution', 'AWS::WAFv2::WebACL', 'AWS::CloudFront::OriginAccessControl']) {
      expect(ofType(built.resources, type), type).toEqual([]);
    }
  });

  it('refuses waf=true without the console it attaches to', () => {
    expect(() => buildStack({ waf: 'true' })).toThrow('context waf=true needs console=true');
  });
});

describe('console=true', () => {
  const built = buildStack({ console: 'true' });

  it('keeps the bundle in a private, encrypted bucket that refuses plain HTTP', () => {
    const [bucketId, bucket] = consoleBucket(built);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.LoggingConfiguration).toBeDefined();
    const policy = ofType(built.resources, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId)![1];
    const statements: Json[] = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    // Nobody but this distribution reads it: no public grant, and CloudFront only with its SourceArn.
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows.filter((statement) => statement.Principal === '*' || statement.Principal?.AWS === '*')).toEqual([]);
    const cloudFront = allows.filter((statement) => statement.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(cloudFront).toHaveLength(1);
    expect(cloudFront[0].Action).toBe('s3:GetObject');
    expect(JSON.stringify(cloudFront[0].Condition.StringEquals['AWS:SourceArn'])).toContain('ConsoleDistribution');
  });

  it('reads the bucket through Origin Access Control, signing every request', () => {
    const oac = single(built, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    const origins: Json[] = single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.Origins;
    const s3 = origins.find((origin) => origin.S3OriginConfig);
    expect(s3.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Console/), 'Id'] });
    expect(s3.S3OriginConfig.OriginAccessIdentity ?? '').toBe('');
  });

  it('fronts the HTTP API and the console with one distribution: API by default, the console under /console', () => {
    const config = single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
    const api = config.Origins.find((origin: Json) => origin.CustomOriginConfig);
    expect(api.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(JSON.stringify(api.DomainName)).toContain('ApiHttpApi');
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: api.Id,
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
    });
    expect(config.CacheBehaviors).toHaveLength(1);
    expect(config.CacheBehaviors[0]).toMatchObject({
      PathPattern: 'console*',
      AllowedMethods: ['GET', 'HEAD'],
      ViewerProtocolPolicy: 'redirect-to-https',
      FunctionAssociations: [expect.objectContaining({ EventType: 'viewer-request' })],
    });
    expect(config.Logging.Bucket).toBeDefined();
    built.template.hasOutput('ConsoleUrl', {});
  });

  it('answers the console with the strict CSP, HSTS and no framing', () => {
    const config = single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
    const policyId = config.CacheBehaviors[0].ResponseHeadersPolicyId.Ref;
    const headers = built.resources[policyId].Properties.ResponseHeadersPolicyConfig;
    expect(headers.SecurityHeadersConfig).toMatchObject({
      ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
    });
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(headers.CustomHeadersConfig.Items.map((item: Json) => item.Header)).toEqual(['cross-origin-opener-policy', 'cross-origin-resource-policy', 'permissions-policy']);
    // The API's answers get HSTS at the edge too.
    const apiPolicy = built.resources[config.DefaultCacheBehavior.ResponseHeadersPolicyId.Ref].Properties.ResponseHeadersPolicyConfig;
    expect(apiPolicy.SecurityHeadersConfig.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(63_072_000);
  });

  it('deploys the bundle into the console prefix and invalidates it', () => {
    built.template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/',
      DistributionPaths: ['/console/*'],
      SystemMetadata: Match.objectLike({ 'cache-control': 'no-cache' }),
    });
  });

  it('has no web ACL without waf=true', () => {
    expect(ofType(built.resources, 'AWS::WAFv2::WebACL')).toEqual([]);
    expect(single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.WebACLId).toBeUndefined();
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(nagFindings(built.stack)).toEqual([]);
  });
});

describe('waf=true', () => {
  it('in us-east-1: a CLOUDFRONT web ACL with a rate-based rule per IP, attached to the distribution', () => {
    const built = buildIn('us-east-1', { console: 'true', waf: 'true', wafRateLimit: '500' });
    const [aclId, acl] = ofType(built.resources, 'AWS::WAFv2::WebACL')[0]!;
    expect(acl.Properties).toMatchObject({ Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    expect(acl.Properties.Rules[0]).toMatchObject({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP' } } });
    expect(single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.WebACLId).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(nagFindings(built.stack)).toEqual([]);
  });

  it('elsewhere: refuses to make a web ACL CloudFront could not use, and says what to do', () => {
    expect(() => buildIn('eu-west-1', { console: 'true', waf: 'true' })).toThrow(/must be made in us-east-1.*wafWebAclArn/);
  });

  it('elsewhere: attaches a web ACL made in us-east-1 by its ARN', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/latchkey/0123abcd';
    const built = buildIn('eu-west-1', { console: 'true', waf: 'true', wafWebAclArn: arn });
    expect(ofType(built.resources, 'AWS::WAFv2::WebACL')).toEqual([]);
    expect(single(built, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.WebACLId).toBe(arn);
  });

  it('refuses a web ACL ARN of the wrong scope or region', () => {
    expect(() => buildStack({ console: 'true', waf: 'true', wafWebAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1' })).toThrow(
      'is not the ARN of a CLOUDFRONT-scope web ACL',
    );
  });
});
