import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TABLE_DESIGN } from '../src/adapters/table-design';
import { MtlsTruststore } from './constructs/mtls-truststore';

export interface LatchkeyStateProps {
  readonly stage: string;
  /** Keep data, keys and the pepper when the stack or a resource is deleted (prod). */
  readonly retain: boolean;
  /** Names of the signing keys published in the JWKS, in order. */
  readonly signingKeys: readonly string[];
  /** The one key among `signingKeys` that signs new tokens. */
  readonly activeSigningKey: string;
  /** Create the S3 truststore of the mutual-TLS custom domain (context `mtls=true`). */
  readonly mtlsTruststore?: boolean;
}

export interface SigningKey {
  readonly name: string;
  readonly key: Key;
}

/**
 * Latchkey's long-lived state: everything that must survive redeploys and, in prod, the stack
 * itself. Losing any of it logs every client out: the table holds the clients, the keys verify the
 * tokens in flight, and the pepper keys the hashes of every stored client secret.
 */
export class LatchkeyState extends Construct {
  readonly table: Table;
  /** Every published key (the JWKS), the active one among them. */
  readonly signingKeys: readonly SigningKey[];
  readonly activeSigningKey: SigningKey;
  readonly pepper: Secret;
  /** The RSA key behind Latchkey's SAML signing certificates (CL-9); it never signs tokens. */
  readonly samlSigningKey: Key;
  readonly mtlsTruststore: MtlsTruststore | undefined;
  /** Name prefix of the enrichment webhook secrets that Latchkey creates at run time, one per application. */
  readonly webhookSecretPrefix: string;

  constructor(scope: Construct, id: string, props: LatchkeyStateProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.webhookSecretPrefix = `latchkey/${props.stage}/webhook/`;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DESIGN.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DESIGN.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_DESIGN.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain,
      removalPolicy,
    });
    for (const index of TABLE_DESIGN.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      });
    }

    // One KMS key per name: adding a name publishes a key, removing one deletes it (after the KMS
    // waiting period), so the construct id and alias derive from the name and never from position.
    this.signingKeys = props.signingKeys.map((name) => ({
      name,
      key: new Key(this, `SigningKey-${name}`, {
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        alias: `alias/latchkey-${props.stage}-signing-${name}`,
        description: `Latchkey ${props.stage} token signing key "${name}"`,
        removalPolicy,
      }),
    }));
    const active = this.signingKeys.find((key) => key.name === props.activeSigningKey);
    if (!active) throw new TypeError(`activeSigningKey ${props.activeSigningKey} is not among the signing keys`);
    this.activeSigningKey = active;

    // SAML needs RSA (SPs rarely accept ECDSA); its own key, so token signing stays ECC-only.
    this.samlSigningKey = new Key(this, 'SamlSigningKey', {
      keySpec: KeySpec.RSA_2048,
      keyUsage: KeyUsage.SIGN_VERIFY,
      alias: `alias/latchkey-${props.stage}-saml-signing`,
      description: `Latchkey ${props.stage} SAML signing key (X.509 certificates of SAML clients)`,
      removalPolicy,
    });
    this.mtlsTruststore = props.mtlsTruststore ? new MtlsTruststore(this, 'MtlsTruststore', { retain: props.retain }) : undefined;

    this.pepper = new Secret(this, 'Pepper', {
      secretName: `latchkey/${props.stage}/pepper`,
      description: 'Latchkey pepper: keys the hashes of client secrets',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The pepper keys the hash of every stored client secret; rotating it would invalidate all of ' +
        'them at once, so it is deliberately long-lived and never rotated automatically.',
    });
  }
}
