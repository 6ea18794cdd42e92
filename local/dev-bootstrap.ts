import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../src/adapters/aws-client-config';
import { clock, issuer, store } from '../src/adapters/from-environment';
import { PepperHasher } from '../src/adapters/pepper-hasher';
import { ENV, requireEnv } from '../src/config';
import { bootstrapEnvironment, createAdministrator, grantManagementPermissions } from '../src/domain/bootstrap';
import { parseClientId } from '../src/domain/ids';

/**
 * The local runtime's development tenant, environment and administrator.
 *
 * First start: creates them and keeps the administrator's credentials in `dev-admin.json` in the
 * data folder (mode 0600, git-ignored), so later starts print the same ones. With
 * `LATCHKEY_DEV_ADMIN_CLIENT_ID` and `LATCHKEY_DEV_ADMIN_CLIENT_SECRET` set, those credentials are used
 * instead (the client ID must have the form `sa_…@env_…`, e.g. one printed by an earlier start).
 */

const ADMIN_NAME = 'Local administrator';

export interface DevAdmin {
  readonly tenantId: string;
  readonly environmentId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export async function ensureDevAdmin(dataDir: string): Promise<DevAdmin> {
  // The pepper, read for this setup only: the functions read it themselves on their first credential
  // check, as a cold Lambda container does, so a Secrets Manager outage at that moment shows locally too.
  const hasher = new PepperHasher(new SecretsManagerClient(awsClientConfig), requireEnv(ENV.pepperSecretId));
  const file = join(dataDir, 'dev-admin.json');
  const fixedId = process.env.LATCHKEY_DEV_ADMIN_CLIENT_ID;
  const fixedSecret = process.env.LATCHKEY_DEV_ADMIN_CLIENT_SECRET;
  if (Boolean(fixedId) !== Boolean(fixedSecret)) {
    throw new Error('set both LATCHKEY_DEV_ADMIN_CLIENT_ID and LATCHKEY_DEV_ADMIN_CLIENT_SECRET, or neither');
  }
  const wanted: { clientId: string; clientSecret: string } | undefined =
    fixedId && fixedSecret ? { clientId: fixedId, clientSecret: fixedSecret } : existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DevAdmin) : undefined;

  if (wanted) {
    const parsed = parseClientId(wanted.clientId);
    if (!parsed?.principalId.startsWith('sa_')) {
      throw new Error(`LATCHKEY_DEV_ADMIN_CLIENT_ID must have the form sa_<26 characters>@env_<26 characters>, not "${wanted.clientId}"`);
    }
    if (wanted.clientSecret.length < 32) throw new Error('LATCHKEY_DEV_ADMIN_CLIENT_SECRET must be at least 32 characters');
    const existing = await store().getServiceAccount(parsed.environmentId, parsed.principalId);
    if (existing) {
      const hash = await hasher.hash(wanted.clientSecret);
      if (existing.secret.current !== hash) {
        await store().updateServiceAccount(parsed.environmentId, parsed.principalId, existing.version, { secret: { current: hash } });
      }
      // The development administrator holds every built-in permission, also those added since its
      // data folder was made: topped up as an operator tops up a deployed administrator.
      await grantManagementPermissions(serviceAccountDeps(hasher), { environmentId: parsed.environmentId, accountId: parsed.principalId });
      return { tenantId: existing.tenantId, environmentId: parsed.environmentId, clientId: wanted.clientId, clientSecret: wanted.clientSecret };
    }
    const created = await bootstrapDev(hasher, { environmentId: parsed.environmentId, admin: { id: parsed.principalId, secret: wanted.clientSecret } });
    return remember(file, created);
  }
  return remember(file, await bootstrapDev(hasher, {}));
}

async function bootstrapDev(hasher: PepperHasher, fixed: { environmentId?: string; admin?: { id: string; secret: string } }): Promise<DevAdmin> {
  const deps = serviceAccountDeps(hasher);
  const existing = fixed.environmentId ? await store().getEnvironment(fixed.environmentId) : undefined;
  if (existing) {
    const admin = await createAdministrator(deps, existing, ADMIN_NAME, fixed.admin);
    return { tenantId: existing.tenantId, environmentId: existing.id, clientId: admin.clientId, clientSecret: admin.clientSecret };
  }
  const { environment, admin } = await bootstrapEnvironment(deps, {
    tenantName: 'Local tenant',
    environmentName: 'dev',
    ...(fixed.environmentId ? { environmentId: fixed.environmentId } : {}),
    adminName: ADMIN_NAME,
    ...(fixed.admin ? { admin: fixed.admin } : {}),
  });
  return { tenantId: environment.tenantId, environmentId: environment.id, clientId: admin.clientId, clientSecret: admin.clientSecret };
}

function serviceAccountDeps(hasher: PepperHasher) {
  return { store: store(), hasher, now: clock, issuer: issuer() };
}

function remember(file: string, admin: DevAdmin): DevAdmin {
  writeFileSync(file, `${JSON.stringify(admin, null, 2)}\n`, { mode: 0o600 });
  return admin;
}
