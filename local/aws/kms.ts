// Local KMS stand-in: asymmetric signing keys (ECC_NIST_P256, RSA_2048), with which Latchkey signs
// in KMS mode, and symmetric keys (SYMMETRIC_DEFAULT) that wrap the data key pairs of envelope mode
// (GenerateDataKeyPairWithoutPlaintext, Decrypt). Latchkey verifies signatures itself.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import {
  AwsJsonError,
  LOCAL_ACCOUNT_ID,
  isObject,
  loadState,
  nowEpochSeconds,
  optionalString,
  paginate,
  requireBlob,
  requireString,
  saveState,
  type AwsJsonService,
  type JsonObject,
} from './json-protocol';

type AsymmetricKeySpec = 'ECC_NIST_P256' | 'RSA_2048';
type KeySpec = AsymmetricKeySpec | 'SYMMETRIC_DEFAULT';
interface Tag {
  TagKey: string;
  TagValue: string;
}
interface StoredKey {
  keyId: string;
  keySpec: KeySpec;
  description: string;
  creationDate: number;
  tags: Tag[];
  /** Asymmetric keys: the private key. */
  privateKeyPem?: string;
  /** Symmetric keys: base64 of the 256-bit AES key. */
  secretKey?: string;
}
interface StoredAlias {
  aliasName: string;
  targetKeyId: string;
  creationDate: number;
}
interface KmsState {
  version: 1;
  keys: Record<string, StoredKey>;
  aliases: Record<string, StoredAlias>;
}

const STATE_FILE = 'kms.json';
const MAX_RAW_MESSAGE_BYTES = 4096;
const SHA256_BYTES = 32;
const SIGNING_ALGORITHMS: Record<AsymmetricKeySpec, string[]> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  RSA_2048: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'],
};
// Real KeySpec / SigningAlgorithm enum values this stand-in does not implement: they are
// answered as unsupported / wrong usage rather than as malformed input.
const KNOWN_KEY_SPECS = [
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
];
const KNOWN_ALGORITHMS = [
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
];

export interface KmsServiceOptions {
  dataDir: string;
  region: string;
  /**
   * Where RSA_2048 keys come from: private keys made ahead of time, so that tests do not pay for
   * fresh primes (a few hundred milliseconds of CPU each). Each call must answer a key not handed
   * out before. Default: every RSA_2048 key is generated fresh, as KMS does; `npm start` never sets it.
   */
  pregeneratedRsaKeys?: () => KeyObject;
}

export function createKmsService(options: KmsServiceOptions): AwsJsonService {
  const { dataDir, region, pregeneratedRsaKeys } = options;
  const state = loadState<KmsState>(dataDir, STATE_FILE, { version: 1, keys: {}, aliases: {} });
  const privateKeys = new Map<string, KeyObject>(); // parsed-PEM cache; PEM stays the source of truth
  const save = () => saveState(dataDir, STATE_FILE, state);
  const arnPrefix = `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:`;
  const keyArn = (keyId: string) => `${arnPrefix}key/${keyId}`;

  /** A new private key of the spec: RSA from the keys made ahead of time when given, else generated. */
  function newPrivateKey(spec: AsymmetricKeySpec): KeyObject {
    if (spec === 'ECC_NIST_P256') return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    if (!pregeneratedRsaKeys) return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const key = pregeneratedRsaKeys();
    // A wrong key would answer with a key pair of another spec than the one asked for.
    if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) {
      throw new Error('pregeneratedRsaKeys answered a key that is not an RSA-2048 private key');
    }
    return key;
  }

  function privateKey(key: StoredKey): KeyObject {
    let cached = privateKeys.get(key.keyId);
    if (!cached) {
      cached = createPrivateKey(key.privateKeyPem!);
      privateKeys.set(key.keyId, cached);
    }
    return cached;
  }

  /** The key as an asymmetric signing key; KMS answers a symmetric one with InvalidKeyUsageException. */
  function signingKey(input: JsonObject, refusal: string): StoredKey & { keySpec: AsymmetricKeySpec } {
    const key = resolveKey(input);
    if (key.keySpec === 'SYMMETRIC_DEFAULT') {
      throw new AwsJsonError(refusal, `${keyArn(key.keyId)} key usage is ENCRYPT_DECRYPT which is not valid for this operation.`);
    }
    return key as StoredKey & { keySpec: AsymmetricKeySpec };
  }

  function encryptionKey(input: JsonObject): StoredKey {
    const key = resolveKey(input);
    if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
      throw new AwsJsonError('InvalidKeyUsageException', `${keyArn(key.keyId)} key usage is SIGN_VERIFY which is not valid for this operation.`);
    }
    return key;
  }

  // Accepts key ID, key ARN, alias name or alias ARN, as KMS does.
  function resolveKey(input: JsonObject): StoredKey {
    const ref = requireString(input, 'KeyId');
    const local = ref.startsWith(arnPrefix) ? ref.slice(arnPrefix.length) : ref;
    let keyId = local.startsWith('key/') ? local.slice(4) : local;
    if (local.startsWith('alias/')) {
      const alias = state.aliases[local];
      if (!alias) throw new AwsJsonError('NotFoundException', `Alias ${ref.startsWith('arn:') ? ref : arnPrefix + ref} is not found.`);
      keyId = alias.targetKeyId;
    }
    const key = Object.hasOwn(state.keys, keyId) ? state.keys[keyId] : undefined;
    if (!key) {
      throw new AwsJsonError('NotFoundException', `Key '${ref.startsWith('arn:') ? ref : keyArn(keyId)}' does not exist`);
    }
    return key;
  }

  function metadata(key: StoredKey): JsonObject {
    const symmetric = key.keySpec === 'SYMMETRIC_DEFAULT';
    return {
      AWSAccountId: LOCAL_ACCOUNT_ID,
      KeyId: key.keyId,
      Arn: keyArn(key.keyId),
      CreationDate: key.creationDate,
      Enabled: true,
      Description: key.description,
      KeyUsage: symmetric ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      ...(symmetric ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } : { SigningAlgorithms: SIGNING_ALGORITHMS[key.keySpec as AsymmetricKeySpec] }),
      MultiRegion: false,
    };
  }

  return {
    CreateKey(input) {
      const spec = optionalString(input, 'KeySpec') ?? optionalString(input, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
      const usage = optionalString(input, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
      if (spec !== 'ECC_NIST_P256' && spec !== 'RSA_2048' && spec !== 'SYMMETRIC_DEFAULT') {
        if (!KNOWN_KEY_SPECS.includes(spec)) throw new AwsJsonError('ValidationException', `Invalid KeySpec ${spec}.`);
        throw new AwsJsonError('UnsupportedOperationException', `KeySpec ${spec} is not supported by the local KMS; use ECC_NIST_P256, RSA_2048 or SYMMETRIC_DEFAULT.`);
      }
      const wantedUsage = spec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY';
      if (usage !== wantedUsage) throw new AwsJsonError('UnsupportedOperationException', `KeyUsage ${usage} is not supported by the local KMS for ${spec}; use ${wantedUsage}.`);
      const origin = optionalString(input, 'Origin') ?? 'AWS_KMS';
      if (origin !== 'AWS_KMS') throw new AwsJsonError('UnsupportedOperationException', `Origin ${origin} is not supported by the local KMS.`);
      // A symmetric key holds a 256-bit secret; an asymmetric one its private key.
      const material =
        spec === 'SYMMETRIC_DEFAULT'
          ? { secretKey: randomBytes(32).toString('base64') }
          : {
              privateKeyPem: newPrivateKey(spec).export({ type: 'pkcs8', format: 'pem' }).toString(),
            };
      const key: StoredKey = {
        keyId: randomUUID(),
        keySpec: spec,
        description: optionalString(input, 'Description') ?? '',
        creationDate: nowEpochSeconds(),
        tags: parseTags(input.Tags),
        ...material,
      };
      state.keys[key.keyId] = key;
      save();
      return { KeyMetadata: metadata(key) };
    },

    DescribeKey: (input) => ({ KeyMetadata: metadata(resolveKey(input)) }),

    ListKeys(input) {
      const keys = Object.values(state.keys).sort((a, b) => a.creationDate - b.creationDate);
      const { page, next } = paginate(keys, input, 'Marker');
      return { Keys: page.map((k) => ({ KeyId: k.keyId, KeyArn: keyArn(k.keyId) })), Truncated: next !== undefined, NextMarker: next };
    },

    CreateAlias(input) {
      const aliasName = requireString(input, 'AliasName');
      if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName)) throw new AwsJsonError('ValidationException', `Alias name ${aliasName} is invalid.`);
      if (aliasName.startsWith('alias/aws/')) throw new AwsJsonError('NotAuthorizedException', 'Aliases beginning with alias/aws/ are reserved.');
      if (state.aliases[aliasName]) throw new AwsJsonError('AlreadyExistsException', `An alias with the name ${arnPrefix}${aliasName} already exists`);
      const target = resolveKey({ KeyId: requireString(input, 'TargetKeyId') });
      state.aliases[aliasName] = { aliasName, targetKeyId: target.keyId, creationDate: nowEpochSeconds() };
      save();
      return {};
    },

    ListAliases(input) {
      const keyId = input.KeyId === undefined ? undefined : resolveKey(input).keyId;
      const aliases = Object.values(state.aliases).filter((a) => keyId === undefined || a.targetKeyId === keyId);
      const { page, next } = paginate(aliases, input, 'Marker');
      return {
        Aliases: page.map((a) => ({
          AliasName: a.aliasName,
          AliasArn: arnPrefix + a.aliasName,
          TargetKeyId: a.targetKeyId,
          CreationDate: a.creationDate,
          LastUpdatedDate: a.creationDate,
        })),
        Truncated: next !== undefined,
        NextMarker: next,
      };
    },

    GetPublicKey(input) {
      const key = signingKey(input, 'UnsupportedOperationException');
      const der = createPublicKey(privateKey(key)).export({ type: 'spki', format: 'der' });
      return {
        KeyId: keyArn(key.keyId),
        PublicKey: der.toString('base64'),
        KeySpec: key.keySpec,
        CustomerMasterKeySpec: key.keySpec,
        KeyUsage: 'SIGN_VERIFY',
        SigningAlgorithms: SIGNING_ALGORITHMS[key.keySpec],
      };
    },

    Sign(input) {
      const key = signingKey(input, 'InvalidKeyUsageException');
      const message = requireBlob(input, 'Message');
      const messageType = optionalString(input, 'MessageType') ?? 'RAW';
      const algorithm = requireString(input, 'SigningAlgorithm');
      if (!KNOWN_ALGORITHMS.includes(algorithm)) throw new AwsJsonError('ValidationException', `Invalid SigningAlgorithm ${algorithm}.`);
      if (!SIGNING_ALGORITHMS[key.keySpec].includes(algorithm)) {
        throw new AwsJsonError('InvalidKeyUsageException', `Signing algorithm ${algorithm} is not valid for key ${keyArn(key.keyId)} (${key.keySpec}).`);
      }
      let digest: Buffer;
      if (messageType === 'RAW') {
        if (message.length < 1 || message.length > MAX_RAW_MESSAGE_BYTES) {
          throw new AwsJsonError(
            'ValidationException',
            `1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and ${MAX_RAW_MESSAGE_BYTES}`,
          );
        }
        digest = createHash('sha256').update(message).digest();
      } else if (messageType === 'DIGEST') {
        if (message.length !== SHA256_BYTES) throw new AwsJsonError('ValidationException', `Digest is invalid length for algorithm ${algorithm}.`);
        digest = message;
      } else {
        throw new AwsJsonError('ValidationException', `Invalid MessageType ${messageType}.`);
      }
      return { KeyId: keyArn(key.keyId), Signature: signDigest(key, privateKey(key), algorithm, digest).toString('base64'), SigningAlgorithm: algorithm };
    },

    GenerateDataKeyPairWithoutPlaintext(input) {
      const key = encryptionKey(input);
      const spec = requireString(input, 'KeyPairSpec');
      if (spec !== 'ECC_NIST_P256' && spec !== 'RSA_2048') {
        if (!KNOWN_KEY_SPECS.includes(spec)) throw new AwsJsonError('ValidationException', `Invalid KeyPairSpec ${spec}.`);
        throw new AwsJsonError('UnsupportedOperationException', `KeyPairSpec ${spec} is not supported by the local KMS; use ECC_NIST_P256 or RSA_2048.`);
      }
      const context = encryptionContext(input);
      const pairKey = newPrivateKey(spec);
      const privateDer = pairKey.export({ type: 'pkcs8', format: 'der' });
      return {
        KeyId: keyArn(key.keyId),
        KeyPairSpec: spec,
        PublicKey: createPublicKey(pairKey).export({ type: 'spki', format: 'der' }).toString('base64'),
        PrivateKeyCiphertextBlob: seal(key, privateDer, context).toString('base64'),
      };
    },

    Decrypt(input) {
      const blob = requireBlob(input, 'CiphertextBlob');
      const algorithm = optionalString(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT';
      if (algorithm !== 'SYMMETRIC_DEFAULT') throw new AwsJsonError('InvalidKeyUsageException', `EncryptionAlgorithm ${algorithm} is not valid for symmetric keys.`);
      const sealedBy = blob.length > BLOB_HEADER_BYTES ? blob.subarray(1, 37).toString('latin1') : '';
      const key = Object.hasOwn(state.keys, sealedBy) ? state.keys[sealedBy] : undefined;
      if (blob[0] !== BLOB_VERSION || !key || key.keySpec !== 'SYMMETRIC_DEFAULT') throw new AwsJsonError('InvalidCiphertextException', '');
      if (input.KeyId !== undefined && encryptionKey(input).keyId !== key.keyId) {
        throw new AwsJsonError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
      }
      const plaintext = open(key, blob, encryptionContext(input));
      return { KeyId: keyArn(key.keyId), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
  };
}

// Ciphertext blobs: version byte, the 36-character key ID, a 12-byte IV, the 16-byte GCM tag, then
// the AES-256-GCM ciphertext. The encryption context is the additional authenticated data, so a
// blob opens only under the context it was sealed with, as in KMS.
const BLOB_VERSION = 1;
const BLOB_HEADER_BYTES = 1 + 36 + 12 + 16;

function seal(key: StoredKey, plaintext: Buffer, context: Record<string, string>): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.secretKey!, 'base64'), iv);
  cipher.setAAD(canonicalContext(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([BLOB_VERSION]), Buffer.from(key.keyId, 'latin1'), iv, cipher.getAuthTag(), ciphertext]);
}

function open(key: StoredKey, blob: Buffer, context: Record<string, string>): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.secretKey!, 'base64'), blob.subarray(37, 49));
  decipher.setAAD(canonicalContext(context));
  decipher.setAuthTag(blob.subarray(49, BLOB_HEADER_BYTES));
  try {
    return Buffer.concat([decipher.update(blob.subarray(BLOB_HEADER_BYTES)), decipher.final()]);
  } catch {
    // KMS says no more than this, whether the context or the blob is wrong.
    throw new AwsJsonError('InvalidCiphertextException', '');
  }
}

function encryptionContext(input: JsonObject): Record<string, string> {
  const value = input.EncryptionContext;
  if (value === undefined || value === null) return {};
  if (!isObject(value) || !Object.values(value).every((entry) => typeof entry === 'string')) {
    throw new AwsJsonError('ValidationException', 'EncryptionContext must be a map of strings.');
  }
  return value as Record<string, string>;
}

/** The context in a fixed order, so `{a, b}` and `{b, a}` are the same context, as in KMS. */
function canonicalContext(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

// Always signs a SHA-256 digest so RAW and DIGEST share one path; Node cannot sign a
// prehashed digest with ECDSA, hence noble for the curve math.
function signDigest(key: StoredKey & { keySpec: AsymmetricKeySpec }, privateKey: KeyObject, algorithm: string, digest: Buffer): Buffer {
  if (key.keySpec === 'ECC_NIST_P256') {
    const d = privateKey.export({ format: 'jwk' }).d;
    if (!d) throw new Error(`Key ${key.keyId} has no private scalar`);
    // lowS false: like real KMS (and OpenSSL), half the signatures have a high S; verifiers must accept both.
    const sig = p256.sign(digest, Buffer.from(d, 'base64url'), { prehash: false, lowS: false, format: 'der', extraEntropy: true });
    return Buffer.from(sig);
  }
  return signRsaDigest(privateKey, digest, algorithm === 'RSASSA_PSS_SHA_256' ? 'pss' : 'pkcs1');
}

// DER DigestInfo header for SHA-256 (RFC 8017 section 9.2), prepended to the digest for PKCS#1 v1.5.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

// Node signs RSA only over whole messages, so DIGEST mode is built from the raw RSA
// primitive: PKCS#1 v1.5 via privateEncrypt's type-1 padding, PSS via EMSA-PSS encoding
// (MGF1-SHA-256, 32-byte salt, as KMS uses) followed by an unpadded private operation.
function signRsaDigest(privateKey: KeyObject, digest: Buffer, scheme: 'pkcs1' | 'pss'): Buffer {
  if (scheme === 'pkcs1') {
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
  }
  const modBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 2048;
  const emLen = Math.ceil((modBits - 1) / 8);
  const salt = randomBytes(SHA256_BYTES);
  const h = createHash('sha256').update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * SHA256_BYTES - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - (modBits - 1)));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // privateEncrypt without padding needs a modulus-sized input; emLen is one byte short only when modBits % 8 === 1.
  const padded = Buffer.concat([Buffer.alloc(Math.ceil(modBits / 8) - emLen), em]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, padded);
}

function mgf1(seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * SHA256_BYTES < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function parseTags(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsJsonError('ValidationException', 'Tags must be a list.');
  return value.map((tag: unknown) => {
    if (!isObject(tag) || typeof tag.TagKey !== 'string' || typeof tag.TagValue !== 'string') {
      throw new AwsJsonError('ValidationException', 'Each tag needs a string TagKey and TagValue.');
    }
    return { TagKey: tag.TagKey, TagValue: tag.TagValue };
  });
}
