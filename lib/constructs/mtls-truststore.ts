import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface MtlsTruststoreProps {
  readonly retain: boolean;
}

/**
 * The S3 truststore of the mutual-TLS custom domain (RFC 8705): one PEM bundle,
 * `truststore.pem`, holding every certificate API Gateway accepts in a TLS handshake. For
 * self-signed client authentication that is each registered client certificate itself.
 *
 * Hardened: no public access, TLS-only requests, S3-managed encryption (API Gateway reads the file
 * with the deployer's credentials, and SSE-S3 needs no key grant), versioning (the custom domain
 * pins a version, so a bad upload changes nothing until it is deployed), and server access logs in
 * a second bucket.
 */
export class MtlsTruststore extends Construct {
  /** The object key of the PEM bundle. */
  static readonly KEY = 'truststore.pem';

  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: MtlsTruststoreProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const hardened = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      removalPolicy,
    } as const;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...hardened,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the truststore bucket’s server access logs; logging it in turn would only recurse.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...hardened,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'truststore/',
    });
  }

  /** `s3://<bucket>/truststore.pem`, as API Gateway names a truststore. */
  get truststoreUri(): string {
    return `s3://${this.bucket.bucketName}/${MtlsTruststore.KEY}`;
  }
}
