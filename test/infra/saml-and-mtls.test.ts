import { describe, expect, it } from 'vitest';
import { buildStack, CUSTOM_DOMAIN, keyIdByAlias, KMS_MODE, nagFindings, ofType, PROD_KMS, PROD_ON_DOMAIN, PROD_WITH_MTLS, type Json } from './build-stack';

describe('SAML key-wrapping key', () => {
  const { resources } = buildStack(KMS_MODE);
  const wrappingKeyId = keyIdByAlias(resources, 'alias/latchkey-dev-saml-key-wrapping');

  it('is a symmetric key of its own, apart from the token keys, and the only SAML key', () => {
    expect(resources[wrappingKeyId].Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    expect(keyIdByAlias(resources, 'alias/latchkey-dev-signing-primary')).not.toBe(wrappingKeyId);
    expect(keyIdByAlias(resources, 'alias/latchkey-dev-signing-rsa')).not.toBe(wrappingKeyId);
    // Each SAML client has its own RSA key under this one; no deployment-wide SAML signing key remains.
    expect(() => keyIdByAlias(resources, 'alias/latchkey-dev-saml-signing')).toThrow();
  });

  it('is retained in prod', () => {
    const prod = buildStack(PROD_KMS).resources;
    const id = keyIdByAlias(prod, 'alias/latchkey-prod-saml-key-wrapping');
    expect(prod[id].DeletionPolicy).toBe('Retain');
  });
});

describe('mutual TLS custom domain (context mtls=true)', () => {
  const withBucketOnly = buildStack({ ...PROD_ON_DOMAIN, mtls: 'true' });
  const full = buildStack(PROD_WITH_MTLS);

  it('is off without the switch', () => {
    const off = buildStack(PROD_ON_DOMAIN);
    expect(ofType(off.resources, 'AWS::S3::Bucket')).toEqual([]);
    off.template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
  });

  it('first creates only the hardened truststore bucket, and names where to upload', () => {
    withBucketOnly.template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 1);
    const buckets = ofType(withBucketOnly.resources, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    const [, truststore] = buckets.find(([, bucket]) => bucket.Properties.VersioningConfiguration)!;
    expect(truststore.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/AccessLogs/) }, LogFilePrefix: 'truststore/' },
    });
    expect(truststore.DeletionPolicy).toBe('Retain');
    for (const [id] of buckets) {
      const policy = ofType(withBucketOnly.resources, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === id)![1];
      const denyPlainHttp = policy.Properties.PolicyDocument.Statement.find((s: Json) => s.Effect === 'Deny');
      expect(denyPlainHttp.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    }
    withBucketOnly.template.hasOutput('MtlsTruststoreUri', {});
  });

  it('then serves the mTLS domain with the pinned truststore version, mapped to the API', () => {
    const domains = ofType(full.resources, 'AWS::ApiGatewayV2::DomainName').map(([, d]) => d.Properties);
    const mtls = domains.find((d) => d.DomainName === 'mtls.id.example.com')!;
    expect(mtls.MutualTlsAuthentication).toEqual({
      TruststoreUri: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/MtlsTruststoreBucket/) }, '/truststore.pem']] },
      TruststoreVersion: 'v3',
    });
    expect(domains.find((d) => d.DomainName === 'id.example.com')!.MutualTlsAuthentication).toBeUndefined();
    full.template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 2);
    full.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'mtls.id.example.com.', Type: 'A' });
    full.template.hasOutput('MtlsTokenEndpoint', { Value: 'https://mtls.id.example.com/oauth/v2/token' });
    // Tokens keep the main domain as issuer.
    full.template.hasOutput('Issuer', { Value: 'https://id.example.com' });
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(nagFindings(full.stack)).toEqual([]);
  });

  it('refuses the switch without a custom domain, or with the same name', () => {
    expect(() => buildStack({ mtls: 'true' })).toThrow(/needs the custom domain/);
    expect(() => buildStack({ ...CUSTOM_DOMAIN, mtls: 'true', mtlsDomainName: 'id.example.com' })).toThrow(/must differ/);
    expect(() => buildStack({ ...CUSTOM_DOMAIN, mtls: 'yes' })).toThrow(/true or false/);
  });
});
