import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TABLE_DESIGN } from '../src/adapters/table-design';
import { keyPolicy, SAML_KEY_CONTEXT, SIGNING_KEY_CONTEXT } from './constructs/key-policies';
import { MtlsTruststore } from './constructs/mtls-truststore';

/**
 * How tokens are signed. `envelope`: in memory, with key pairs whose private halves are kept in the
 * table encrypted under one symmetric KMS key (no KMS call per token); `kms`: every token is signed
 * by KMS, the private keys never leave it.
 */
export type SigningMode = 'envelope' | 'kms';

export interface LatchkeyStateProps {
  readonly stage: string;
  /** Keep data, keys and the pepper when the stack or a resource is deleted (prod). */
  readonly retain: boolean;
  readonly signingMode: SigningMode;
  /** KMS mode: names of the signing keys published in the JWKS, in order; after the active one, the standby keys that take over when it is retired. */
  readonly signingKeys: readonly string[];
  /** KMS mode: the one key among `signingKeys` that signs new tokens. */
  readonly activeSigningKey: string;
  /** Create the S3 truststore of the mutual-TLS custom domain (context `mtls=true`). */
  readonly mtlsTruststore?: boolean;
}

export interface SigningKey {
  readonly name: string;
  readonly key: Key;
}

/**
 * What the API's functions need to know about the state: names and ARNs only, so the nested stacks
 * of the API receive a few string parameters and never a construct of this stack.
 */
export interface StateRefs {
  readonly stage: string;
  readonly signingMode: SigningMode;
  readonly tableName: string;
  readonly tableArn: string;
  readonly pepperSecretArn: string;
  readonly webhookSecretPrefix: string;
  readonly idpSecretPrefix: string;
  /** Wraps each SAML client's own RSA key (both signing modes). */
  readonly samlKeyWrappingKeyArn: string;
  /** Envelope mode: the symmetric key that wraps the signing key pairs. */
  readonly keyWrappingKeyArn?: string;
  /** KMS mode: every published ECC key (the JWKS), and the active one among them. */
  readonly signingKeyArns: readonly string[];
  readonly activeSigningKeyArn?: string;
  /** KMS mode: the RSA key that signs RS256 ID tokens. */
  readonly rsaSigningKeyArn?: string;
}

/**
 * Latchkey's long-lived state: everything that must survive redeploys and, in prod, the stack
 * itself. Losing any of it logs every client out: the table holds the clients (and, in envelope
 * mode, the wrapped signing keys), the keys verify the tokens in flight, and the pepper keys the
 * hashes of every stored client secret.
 */
export class LatchkeyState extends Construct {
  readonly table: Table;
  readonly signingMode: SigningMode;
  /** KMS mode: every published key (the JWKS), the active one among them. Empty in envelope mode. */
  readonly signingKeys: readonly SigningKey[];
  readonly activeSigningKey: SigningKey | undefined;
  /** KMS mode: the RSA_2048 key of RS256 ID tokens. */
  readonly rsaSigningKey: Key | undefined;
  /** Envelope mode: the symmetric key that wraps the signing key pairs. */
  readonly keyWrappingKey: Key | undefined;
  readonly pepper: Secret;
  readonly samlKeyWrappingKey: Key;
  readonly mtlsTruststore: MtlsTruststore | undefined;
  /** Name prefix of the enrichment webhook secrets that Latchkey creates at run time, one per application. */
  readonly webhookSecretPrefix: string;
  /** Name prefix of the upstream IDP connections' client secrets, created at run time, one per connection. */
  readonly idpSecretPrefix: string;
  readonly refs: StateRefs;

  constructor(scope: Construct, id: string, props: LatchkeyStateProps) {
    super(scope, id);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const { stage } = props;
    this.signingMode = props.signingMode;
    this.webhookSecretPrefix = `latchkey/${stage}/webhook/`;
    this.idpSecretPrefix = `latchkey/${stage}/idp/`;

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

    const publicKeyReaders = { actions: ['kms:GetPublicKey'] } as const;
    if (props.signingMode === 'envelope') {
      this.signingKeys = [];
      this.activeSigningKey = undefined;
      this.rsaSigningKey = undefined;
      this.keyWrappingKey = new Key(this, 'KeyWrappingKey', {
        alias: `alias/latchkey-${stage}-key-wrapping`,
        description: `Latchkey ${stage}: wraps the private halves of the token signing key pairs`,
        enableKeyRotation: true,
        removalPolicy,
        policy: keyPolicy(this, stage, [
          { capability: 'token-signer', actions: ['kms:Decrypt'], stringEquals: SIGNING_KEY_CONTEXT },
          { capability: 'key-rotator', actions: ['kms:GenerateDataKeyPairWithoutPlaintext'], stringEquals: SIGNING_KEY_CONTEXT },
        ]),
      });
    } else {
      this.keyWrappingKey = undefined;
      // One KMS key per name: adding a name publishes a key, removing one deletes it (after the KMS
      // waiting period), so the construct id and alias derive from the name and never from position.
      this.signingKeys = props.signingKeys.map((name) => ({
        name,
        key: new Key(this, `SigningKey-${name}`, {
          keySpec: KeySpec.ECC_NIST_P256,
          keyUsage: KeyUsage.SIGN_VERIFY,
          alias: `alias/latchkey-${stage}-signing-${name}`,
          description: `Latchkey ${stage} token signing key "${name}"`,
          removalPolicy,
          // Token signers may sign with every published key: the active one signs, the others are
          // standby keys that take over at once when the active one is retired after a suspected
          // compromise (`rotate-signing-keys --retire-current`), without a deploy. Every published
          // key can be read by the stage's functions.
          policy: keyPolicy(this, stage, [publicKeyReaders, { capability: 'token-signer', actions: ['kms:Sign'] }]),
        }),
      }));
      const active = this.signingKeys.find((key) => key.name === props.activeSigningKey);
      if (!active) throw new TypeError(`activeSigningKey ${props.activeSigningKey} is not among the signing keys`);
      this.activeSigningKey = active;
      // RS256 for ID tokens of relying parties that cannot verify ES256.
      this.rsaSigningKey = new Key(this, 'RsaSigningKey', {
        keySpec: KeySpec.RSA_2048,
        keyUsage: KeyUsage.SIGN_VERIFY,
        alias: `alias/latchkey-${stage}-signing-rsa`,
        description: `Latchkey ${stage} RS256 token signing key`,
        removalPolicy,
        policy: keyPolicy(this, stage, [publicKeyReaders, { capability: 'token-signer', actions: ['kms:Sign'] }]),
      });
    }

    // Each SAML client has its own RSA key, made by KMS and kept encrypted under this key; only the
    // SAML client functions make keys, and only they, the metadata and the login end open them.
    this.samlKeyWrappingKey = new Key(this, 'SamlKeyWrappingKey', {
      alias: `alias/latchkey-${stage}-saml-key-wrapping`,
      description: `Latchkey ${stage}: wraps the private keys of SAML clients`,
      enableKeyRotation: true,
      removalPolicy,
      policy: keyPolicy(this, stage, [
        { capability: 'saml-key-maker', actions: ['kms:GenerateDataKeyPairWithoutPlaintext', 'kms:Decrypt'], stringEquals: SAML_KEY_CONTEXT },
        { capability: 'saml-key-user', actions: ['kms:Decrypt'], stringEquals: SAML_KEY_CONTEXT },
      ]),
    });
    this.mtlsTruststore = props.mtlsTruststore ? new MtlsTruststore(this, 'MtlsTruststore', { retain: props.retain }) : undefined;

    this.pepper = new Secret(this, 'Pepper', {
      secretName: `latchkey/${stage}/pepper`,
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

    this.refs = {
      stage,
      signingMode: props.signingMode,
      tableName: this.table.tableName,
      tableArn: this.table.tableArn,
      pepperSecretArn: this.pepper.secretArn,
      webhookSecretPrefix: this.webhookSecretPrefix,
      idpSecretPrefix: this.idpSecretPrefix,
      samlKeyWrappingKeyArn: this.samlKeyWrappingKey.keyArn,
      ...(this.keyWrappingKey ? { keyWrappingKeyArn: this.keyWrappingKey.keyArn } : {}),
      signingKeyArns: this.signingKeys.map(({ key }) => key.keyArn),
      ...(this.activeSigningKey ? { activeSigningKeyArn: this.activeSigningKey.key.keyArn } : {}),
      ...(this.rsaSigningKey ? { rsaSigningKeyArn: this.rsaSigningKey.keyArn } : {}),
    };
  }
}
