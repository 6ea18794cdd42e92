// Local Secrets Manager stand-in: versioned secrets with AWSCURRENT/AWSPREVIOUS staging,
// soft and forced deletion, and random password generation.
import { randomInt, randomUUID } from 'node:crypto';
import {
  AwsJsonError,
  LOCAL_ACCOUNT_ID,
  isObject,
  loadState,
  nowEpochSeconds,
  optionalBoolean,
  optionalNumber,
  optionalString,
  requireString,
  saveState,
  type AwsJsonService,
  type JsonObject,
} from './json-protocol';

interface Tag {
  Key: string;
  Value: string;
}
interface StoredVersion {
  versionId: string;
  secretString?: string;
  secretBinary?: string;
  createdDate: number;
  stages: string[];
}
interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  tags: Tag[];
  createdDate: number;
  lastChangedDate: number;
  deletedDate?: number;
  versions: StoredVersion[];
}
// Persisted as a list: secret names are user input (even `__proto__` is valid), so they never become object keys.
interface SecretsState {
  version: 1;
  secrets: StoredSecret[];
}

const STATE_FILE = 'secrets.json';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const DAY_SECONDS = 86_400;

export function createSecretsManagerService(options: { dataDir: string; region: string }): AwsJsonService {
  const { dataDir, region } = options;
  const loaded = loadState<SecretsState>(dataDir, STATE_FILE, { version: 1, secrets: [] });
  const secrets = new Map(loaded.secrets.map((s) => [s.name, s]));
  const save = () => saveState(dataDir, STATE_FILE, { version: 1, secrets: [...secrets.values()] } satisfies SecretsState);
  const arnPrefix = `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT_ID}:secret:`;

  // Accepts the secret name or its full ARN (with the random 6-character suffix), as AWS does.
  function resolve(input: JsonObject, options: { allowDeleted: boolean }): StoredSecret {
    const id = requireString(input, 'SecretId');
    const secret = id.startsWith('arn:') ? [...secrets.values()].find((s) => s.arn === id) : secrets.get(id);
    if (!secret) throw new AwsJsonError('ResourceNotFoundException', NOT_FOUND);
    if (secret.deletedDate !== undefined && !options.allowDeleted) throw new AwsJsonError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }

  // Adds a version and moves the AWSCURRENT / AWSPREVIOUS labels; versions left without a
  // label are dropped (AWS keeps them for a while, nothing local needs them).
  function addVersion(secret: StoredSecret, input: JsonObject): StoredVersion | undefined {
    const value = readValue(input);
    const versionId = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    if (!value) return undefined;
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      // The SDK fills ClientRequestToken automatically, so a repeat means a retried request.
      if (existing.secretString === value.secretString && existing.secretBinary === value.secretBinary) return existing;
      throw new AwsJsonError('ResourceExistsException', `A version with VersionId ${versionId} already exists with different content.`);
    }
    for (const v of secret.versions) v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : v.stages.filter((s) => s !== 'AWSPREVIOUS');
    const version: StoredVersion = { versionId, ...value, createdDate: nowEpochSeconds(), stages: ['AWSCURRENT'] };
    secret.versions = [...secret.versions.filter((v) => v.stages.length > 0), version];
    secret.lastChangedDate = version.createdDate;
    return version;
  }

  return {
    CreateSecret(input) {
      const name = requireString(input, 'Name');
      if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) throw new AwsJsonError('ValidationException', `Invalid secret name ${name}.`);
      const existing = secrets.get(name);
      if (existing?.deletedDate !== undefined) {
        throw new AwsJsonError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
      }
      if (existing) throw new AwsJsonError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
      const now = nowEpochSeconds();
      const secret: StoredSecret = {
        name,
        arn: `${arnPrefix}${name}-${randomSuffix()}`,
        description: optionalString(input, 'Description'),
        tags: parseTags(input.Tags),
        createdDate: now,
        lastChangedDate: now,
        versions: [],
      };
      const version = addVersion(secret, input);
      secrets.set(name, secret);
      save();
      return { ARN: secret.arn, Name: name, VersionId: version?.versionId };
    },

    GetSecretValue(input) {
      const secret = resolve(input, { allowDeleted: false });
      const versionId = optionalString(input, 'VersionId');
      const stage = optionalString(input, 'VersionStage') ?? (versionId ? undefined : 'AWSCURRENT');
      const version = secret.versions.find((v) => (versionId === undefined || v.versionId === versionId) && (stage === undefined || v.stages.includes(stage)));
      if (!version) {
        const which = versionId ? `VersionId: ${versionId}` : `staging label: ${stage}`;
        throw new AwsJsonError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${which}`);
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        SecretBinary: version.secretBinary,
        VersionStages: version.stages,
        CreatedDate: version.createdDate,
      };
    },

    PutSecretValue(input) {
      const secret = resolve(input, { allowDeleted: false });
      const version = addVersion(secret, input);
      if (!version) throw new AwsJsonError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
      save();
      return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId, VersionStages: version.stages };
    },

    DescribeSecret(input) {
      const s = resolve(input, { allowDeleted: true });
      return {
        ARN: s.arn,
        Name: s.name,
        Description: s.description,
        CreatedDate: s.createdDate,
        LastChangedDate: s.lastChangedDate,
        DeletedDate: s.deletedDate,
        Tags: s.tags,
        VersionIdsToStages: Object.fromEntries(s.versions.map((v) => [v.versionId, v.stages])),
      };
    },

    DeleteSecret(input) {
      const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false;
      const windowDays = optionalNumber(input, 'RecoveryWindowInDays');
      if (force && windowDays !== undefined) {
        throw new AwsJsonError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
      }
      if (windowDays !== undefined && (windowDays < 7 || windowDays > 30)) {
        throw new AwsJsonError('InvalidParameterException', 'RecoveryWindowInDays must be between 7 and 30 days.');
      }
      // A forced delete may finish off a secret already scheduled for deletion; a second soft delete may not.
      const secret = resolve(input, { allowDeleted: force });
      const now = nowEpochSeconds();
      if (force) secrets.delete(secret.name);
      else secret.deletedDate = now;
      save();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: force ? now : now + (windowDays ?? 30) * DAY_SECONDS };
    },

    // Filters: `name` only, a case-insensitive prefix match as in AWS; pages of MaxResults (default 100).
    ListSecrets(input) {
      const filters = Array.isArray(input.Filters) ? input.Filters : [];
      const prefixes: string[] = [];
      for (const filter of filters) {
        if (!isObject(filter) || filter.Key !== 'name' || !Array.isArray(filter.Values)) throw new AwsJsonError('ValidationException', 'The local stand-in filters by name only.');
        prefixes.push(...filter.Values.filter((value): value is string => typeof value === 'string').map((value) => value.toLowerCase()));
      }
      const includeDeleted = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
      const pageSize = optionalNumber(input, 'MaxResults') ?? 100;
      if (pageSize < 1 || pageSize > 100) throw new AwsJsonError('InvalidParameterException', 'MaxResults must be between 1 and 100.');
      const start = Number(optionalString(input, 'NextToken') ?? '0');
      const matching = [...secrets.values()]
        .filter((s) => includeDeleted || s.deletedDate === undefined)
        .filter((s) => prefixes.length === 0 || prefixes.some((prefix) => s.name.toLowerCase().startsWith(prefix)))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      const page = matching.slice(start, start + pageSize);
      return {
        SecretList: page.map((s) => ({ ARN: s.arn, Name: s.name, Description: s.description, Tags: s.tags, CreatedDate: s.createdDate, DeletedDate: s.deletedDate })),
        NextToken: start + pageSize < matching.length ? String(start + pageSize) : undefined,
      };
    },

    GetRandomPassword(input) {
      const length = optionalNumber(input, 'PasswordLength') ?? 32;
      if (length < 1 || length > 4096) throw new AwsJsonError('InvalidParameterException', 'PasswordLength must be between 1 and 4096.');
      const excluded = new Set(optionalString(input, 'ExcludeCharacters') ?? '');
      const pick = (chars: string, skip: boolean) => (skip ? '' : [...chars].filter((c) => !excluded.has(c)).join(''));
      const classes = [
        pick(ALPHANUMERIC.slice(0, 26), optionalBoolean(input, 'ExcludeUppercase') ?? false),
        pick(ALPHANUMERIC.slice(26, 52), optionalBoolean(input, 'ExcludeLowercase') ?? false),
        pick(ALPHANUMERIC.slice(52), optionalBoolean(input, 'ExcludeNumbers') ?? false),
        pick(PUNCTUATION, optionalBoolean(input, 'ExcludePunctuation') ?? false),
        pick(' ', !(optionalBoolean(input, 'IncludeSpace') ?? false)),
      ].filter((chars) => chars.length > 0);
      const requireEach = optionalBoolean(input, 'RequireEachIncludedType') ?? true;
      if (classes.length === 0 || (requireEach && length < classes.length)) {
        throw new AwsJsonError('InvalidParameterException', 'The password length is too short or every character type is excluded.');
      }
      const all = classes.join('');
      for (;;) {
        // Rejection sampling keeps the distribution uniform; it rarely needs a second round.
        const password = Array.from({ length }, () => all[randomInt(all.length)]).join('');
        if (!requireEach || classes.every((chars) => [...password].some((c) => chars.includes(c)))) return { RandomPassword: password };
      }
    },
  };
}

function readValue(input: JsonObject): Pick<StoredVersion, 'secretString' | 'secretBinary'> | undefined {
  const secretString = optionalString(input, 'SecretString');
  // Blobs travel as base64 in JSON; kept encoded since they are only ever returned as-is.
  const secretBinary = optionalString(input, 'SecretBinary');
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new AwsJsonError('InvalidParameterException', "You can't specify both a binary secret value and a string secret value in the same secret.");
  }
  if (secretString !== undefined) return { secretString };
  if (secretBinary !== undefined) return { secretBinary };
  return undefined;
}

function randomSuffix(): string {
  return Array.from({ length: 6 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
}

function parseTags(value: unknown): Tag[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AwsJsonError('ValidationException', 'Tags must be a list.');
  return value.map((tag: unknown) => {
    if (!isObject(tag) || typeof tag.Key !== 'string' || typeof tag.Value !== 'string') {
      throw new AwsJsonError('ValidationException', 'Each tag needs a string Key and Value.');
    }
    return { Key: tag.Key, Value: tag.Value };
  });
}
