/**
 * `npm run create-canary-account -- --stage prod --issuer https://id.example.com`: gives the canary
 * (context `canary=true`) its credentials. With an administrator's credentials (from
 * `npm run create-tenant`, read from LATCHKEY_ADMIN_CLIENT_ID and LATCHKEY_ADMIN_CLIENT_SECRET so that
 * they stay out of the shell's history), it creates a service account without grants in that
 * administrator's environment and stores its client ID and secret in `latchkey/<stage>/canary`,
 * where the canary reads them. Run again, it creates a new account and replaces the stored one
 * (delete the old account through the management API afterwards).
 *
 * Needs `secretsmanager:CreateSecret`/`PutSecretValue` on that secret, with the usual AWS environment
 * (`AWS_PROFILE`, `AWS_REGION`) or `--region`. Prints the account's ID, never its secret.
 */
import { CreateSecretCommand, PutSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { pathToFileURL } from 'node:url';
import { canarySecretName } from '../lib/secret-names';
import { checkStage, parseCommandLine, runCommandLine, UsageError } from './command-line';

export const USAGE = `Usage: LATCHKEY_ADMIN_CLIENT_ID=… LATCHKEY_ADMIN_CLIENT_SECRET=… npm run create-canary-account -- --issuer <url> [options]

  --issuer <url>        the stack output Issuer (the API's base URL)
  --stage <stage>       stage of the deployed stack Latchkey-<stage> (default dev)
  --name <name>         name of the canary service account (default "canary")
  --region <region>     AWS region of the stack (default: from the AWS environment)
  --help                show this help`;

export interface CanaryAccountCommand {
  readonly issuer: string;
  readonly secretName: string;
  readonly accountName: string;
  readonly admin: { readonly clientId: string; readonly clientSecret: string };
  readonly region?: string;
}

export function parseCanaryAccountArgs(argv: readonly string[], environment: NodeJS.ProcessEnv = process.env): CanaryAccountCommand | 'help' {
  const { values } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      issuer: { type: 'string' },
      stage: { type: 'string', default: 'dev' },
      name: { type: 'string', default: 'canary' },
      region: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  if (!values.issuer) throw new UsageError('--issuer is required (the stack output Issuer)');
  let issuer: URL;
  try {
    issuer = new URL(values.issuer);
  } catch {
    throw new UsageError(`--issuer must be a URL, not "${values.issuer}"`);
  }
  const local = issuer.hostname === 'localhost' || issuer.hostname === '127.0.0.1';
  if (issuer.protocol !== 'https:' && !local) throw new UsageError('--issuer must be an https URL (http only for this machine)');
  const secretName = canarySecretName(checkStage(values.stage));
  const name = values.name.trim();
  if (name === '') throw new UsageError('--name must not be empty');
  const clientId = environment.LATCHKEY_ADMIN_CLIENT_ID?.trim();
  const clientSecret = environment.LATCHKEY_ADMIN_CLIENT_SECRET?.trim();
  if (!clientId || !clientSecret) throw new UsageError("LATCHKEY_ADMIN_CLIENT_ID and LATCHKEY_ADMIN_CLIENT_SECRET must hold an administrator's credentials");
  return {
    issuer: issuer.href.replace(/\/+$/, ''),
    secretName,
    accountName: name,
    admin: { clientId, clientSecret },
    ...(values.region ? { region: values.region } : {}),
  };
}

/** Creates the account and stores its credentials; answers the account's ID. */
export async function createCanaryAccount(command: CanaryAccountCommand, secrets: SecretsManagerClient): Promise<{ id: string; clientId: string }> {
  const basic = Buffer.from(`${encodeURIComponent(command.admin.clientId)}:${encodeURIComponent(command.admin.clientSecret)}`).toString('base64');
  const tokenResponse = await fetch(`${command.issuer}/oauth/v2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const token = (await tokenResponse.json().catch(() => ({}))) as { access_token?: string; error?: string };
  if (!tokenResponse.ok || !token.access_token)
    throw new Error(`the administrator's credentials were refused (HTTP ${tokenResponse.status}${token.error ? ` ${token.error}` : ''})`);

  const created = await fetch(`${command.issuer}/v1/service-accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: command.accountName }),
  });
  const account = (await created.json().catch(() => ({}))) as { id?: string; clientId?: string; clientSecret?: string; detail?: string };
  if (created.status !== 201 || !account.id || !account.clientId || !account.clientSecret) {
    throw new Error(`the service account was not created (HTTP ${created.status}${account.detail ? `: ${account.detail}` : ''})`);
  }

  const value = JSON.stringify({ clientId: account.clientId, clientSecret: account.clientSecret });
  try {
    await secrets.send(new CreateSecretCommand({ Name: command.secretName, SecretString: value, Description: "Latchkey: the canary service account's credentials" }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await secrets.send(new PutSecretValueCommand({ SecretId: command.secretName, SecretString: value }));
  }
  return { id: account.id, clientId: account.clientId };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommandLine(process.argv.slice(2), {
    usage: USAGE,
    parse: (argv) => parseCanaryAccountArgs(argv),
    failure: 'creating the canary account failed',
    run: async (command) => {
      const account = await createCanaryAccount(command, new SecretsManagerClient(command.region ? { region: command.region } : {}));
      return `
The canary's service account ${account.id} (client ID ${account.clientId}) is stored in ${command.secretName}.
The canary reads it on its next run; deploy with -c canary=true if it is not on yet.
`;
    },
  });
}
