/**
 * `npm run create-tenant -- --stage prod --tenant "Acme" --environment prod`: creates a tenant
 * (or adds to an existing one with `--tenant-id`), an environment and its first administrator in a
 * deployed stack, by invoking the stack's bootstrap function with your AWS credentials, and prints
 * the administrator's client secret once.
 *
 * The function has no HTTP route: invoking it needs `lambda:InvokeFunction` on it (IAM). Which
 * function: `--function-name` (the stack output `BootstrapFunctionName`), else it is found in the
 * stack `Latchkey-<stage>` by its tags, which needs `lambda:ListFunctions` and `lambda:ListTags`.
 * Region and credentials come from the usual AWS environment (`AWS_PROFILE`, `AWS_REGION`) or `--region`.
 *
 * `npm run create-tenant -- --stage prod --grant-management-permissions sa_…@env_…` gives an existing
 * administrator every built-in management permission instead (`--permissions A,B` for some only):
 * after upgrading Latchkey, none of an environment's administrators holds a permission added since
 * it was created, and nobody may grant a permission they do not hold. IAM authorises it, as above.
 *
 * Not to be confused with `cdk bootstrap`, which prepares an AWS account and region for CDK
 * deployments once, before the first `cdk deploy` (see docs/operations.md).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { pathToFileURL } from 'node:url';
import { findOperation } from '../lib/routes';
import type { BootstrapResult, GrantManagementResult } from '../functions/ops/bootstrap-environment';
import { checkStage, findStackFunction, parseCommandLine, runCommandLine, UsageError } from './command-line';

export interface BootstrapInput {
  readonly tenantName: string;
  readonly tenantId?: string;
  readonly environmentName: string;
  readonly adminName?: string;
}

/** The function's break-glass action: built-in permissions for an existing service account. */
export interface GrantManagementInput {
  readonly action: 'grant-management-permissions';
  readonly clientId: string;
  readonly permissions?: readonly string[];
}

export interface BootstrapCommand {
  readonly stackName: string;
  readonly functionName?: string;
  readonly region?: string;
  readonly input: BootstrapInput | GrantManagementInput;
}

/** A mistake in the command line: printed with the usage, exit code 2. */

export const USAGE = `Usage: npm run create-tenant -- --tenant <name> --environment <name> [options]
       npm run create-tenant -- --grant-management-permissions <client ID> [--permissions <list>] [options]

  --tenant <name>          tenant name (also for an existing tenant)
  --environment <name>     name of the new environment, e.g. prod
  --tenant-id <ten_...>    add the environment to this existing tenant
  --admin-name <name>      name of the administrator service account (default "Administrator")
  --grant-management-permissions <sa_...@env_...>
                           instead of creating: give this existing service account every built-in
                           management permission (after upgrading Latchkey, for the ones added since)
  --permissions <A,B>      with --grant-management-permissions: only these, e.g. USERS_EDIT,AUDIT_READ
  --stage <stage>          stage of the deployed stack Latchkey-<stage> (default dev)
  --function-name <name>   the bootstrap function (stack output BootstrapFunctionName); found by tags if omitted
  --region <region>        AWS region (default: from the AWS environment)
  --help                   show this help`;

/** The operation whose function this command invokes (tagged `latchkey:operation=bootstrap`). */
const OPERATION = findOperation('bootstrap').name;

export function parseBootstrapArgs(argv: readonly string[]): BootstrapCommand | 'help' {
  const { values } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      tenant: { type: 'string' },
      environment: { type: 'string' },
      'tenant-id': { type: 'string' },
      'admin-name': { type: 'string' },
      'grant-management-permissions': { type: 'string' },
      permissions: { type: 'string' },
      stage: { type: 'string', default: 'dev' },
      'function-name': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';

  const stage = checkStage(values.stage);
  const target = {
    stackName: `Latchkey-${stage}`,
    ...(values['function-name'] ? { functionName: values['function-name'] } : {}),
    ...(values.region ? { region: values.region } : {}),
  };

  const grantTo = values['grant-management-permissions']?.trim();
  if (grantTo !== undefined) {
    const creating = (['tenant', 'environment', 'tenant-id', 'admin-name'] as const).filter((flag) => values[flag] !== undefined);
    if (creating.length > 0) throw new UsageError(`--grant-management-permissions changes an existing account; it takes no --${creating[0]}`);
    if (!/^sa_[a-z2-7]{26}@env_[a-z2-7]{26}$/.test(grantTo)) {
      throw new UsageError(`--grant-management-permissions must be a service account's client ID (sa_…@env_…), not "${grantTo}"`);
    }
    const permissions = values.permissions?.split(',').map((permission) => permission.trim());
    if (permissions !== undefined) {
      const wrong = permissions.find((permission) => !/^[A-Z][A-Z_]*$/.test(permission));
      if (wrong !== undefined) throw new UsageError(`--permissions must list permission names separated by commas, such as USERS_EDIT,AUDIT_READ, not "${wrong}"`);
    }
    return { ...target, input: { action: 'grant-management-permissions', clientId: grantTo, ...(permissions ? { permissions: [...new Set(permissions)] } : {}) } };
  }
  if (values.permissions !== undefined) throw new UsageError('--permissions goes with --grant-management-permissions');

  const required = (flag: 'tenant' | 'environment'): string => {
    const value = values[flag]?.trim();
    if (!value) throw new UsageError(`--${flag} is required`);
    return value;
  };
  const tenantName = required('tenant');
  const environmentName = required('environment');
  const tenantId = values['tenant-id']?.trim();
  if (tenantId !== undefined && !/^ten_[a-z2-7]{26}$/.test(tenantId)) {
    throw new UsageError(`--tenant-id must be a tenant ID (ten_ and 26 characters a-z, 2-7), not "${tenantId}"`);
  }
  const adminName = values['admin-name']?.trim();
  if (adminName === '') throw new UsageError('--admin-name must not be empty');

  return {
    ...target,
    input: { tenantName, environmentName, ...(tenantId ? { tenantId } : {}), ...(adminName ? { adminName } : {}) },
  };
}

export async function invokeBootstrap(lambda: LambdaClient, functionName: string, input: BootstrapInput): Promise<BootstrapResult> {
  const payload = await invoke(lambda, functionName, input);
  const fields = ['tenantId', 'environmentId', 'clientId', 'clientSecret'] as const;
  if (!payload || !fields.every((field) => typeof payload[field] === 'string')) {
    throw new Error(`the bootstrap function answered something unexpected; is ${functionName} Latchkey's bootstrap function?`);
  }
  return payload as unknown as BootstrapResult;
}

export async function invokeGrant(lambda: LambdaClient, functionName: string, input: GrantManagementInput): Promise<GrantManagementResult> {
  const payload = await invoke(lambda, functionName, input);
  if (!payload || typeof payload.clientId !== 'string' || !Array.isArray(payload.added) || !Array.isArray(payload.permissions)) {
    // An older stack's function does not know the action and refuses it; anything else is not Latchkey's.
    throw new Error(`the bootstrap function answered something unexpected; is ${functionName} Latchkey's bootstrap function?`);
  }
  return payload as unknown as GrantManagementResult;
}

async function invoke(lambda: LambdaClient, functionName: string, input: BootstrapInput | GrantManagementInput): Promise<Record<string, unknown> | undefined> {
  const response = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(input)) }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  const payload = parseJson(text);
  if (response.FunctionError) {
    const message = typeof payload?.errorMessage === 'string' ? payload.errorMessage : text || response.FunctionError;
    throw new Error(`the bootstrap function refused: ${message}`);
  }
  return payload;
}

/** What the operator sees: the credentials once, and why to store the secret now. */
export function formatCredentials(result: BootstrapResult, input: BootstrapInput): string {
  return `
Environment "${input.environmentName}" of tenant "${input.tenantName}" is ready.

  Tenant ID        ${result.tenantId}
  Environment ID   ${result.environmentId}
  Client ID        ${result.clientId}
  Client secret    ${result.clientSecret}

Store the client secret now (in a password manager or a secrets store). Latchkey keeps only a keyed
hash of it and cannot show it again; this administrator can reset it through the management API.

Get a management API token (the stack output Issuer is the base URL):
  curl -s <Issuer>/oauth/v2/token -u '<client ID>:<client secret>' -d grant_type=client_credentials
`;
}

/** What the operator sees after a grant: what changed, and that tokens carry it once fetched again. */
export function formatGrant(result: GrantManagementResult): string {
  const added = result.added.length > 0 ? `Added: ${result.added.join(', ')}` : 'Nothing added: the account held every permission asked for.';
  return `
Service account ${result.clientId}
  ${added}
  Built-in permissions now: ${result.permissions.join(', ')}

The management API reads an account's permissions as stored on every call, so they count at once,
with the account's tokens already issued too.
`;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommandLine(process.argv.slice(2), {
    usage: USAGE,
    parse: parseBootstrapArgs,
    failure: 'bootstrap failed',
    run: async (command) => {
      const lambda = new LambdaClient(command.region ? { region: command.region } : {});
      const functionName = command.functionName ?? (await findStackFunction(lambda, command.stackName, OPERATION));
      const input = command.input;
      if ('action' in input) return formatGrant(await invokeGrant(lambda, functionName, input));
      return formatCredentials(await invokeBootstrap(lambda, functionName, input), input);
    },
  });
}
