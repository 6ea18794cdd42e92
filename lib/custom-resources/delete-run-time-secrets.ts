/**
 * The CloudFormation custom resource behind `RunTimeSecretsCleanup` (lib/constructs/run-time-secrets.ts):
 * when a stage that keeps no state is deleted, it deletes the Secrets Manager secrets Latchkey created
 * at run time under `latchkey/<stage>/` (enrichment webhook secrets, and whatever else the functions
 * store there), which CloudFormation never knew about.
 *
 * Rules:
 * - Acts on Delete only; Create and Update succeed without touching anything.
 * - Deletes only names that start with the prefix exactly (ListSecrets' name filter ignores case),
 *   and never a secret that CloudFormation manages (it carries the `aws:cloudformation:stack-id` tag:
 *   the pepper, which its stack deletes itself).
 * - Deletes with a 7-day recovery window, so a mistaken delete can be undone (`restore-secret`).
 * - Logs and reports secret names only, never a value. A failure is reported to CloudFormation
 *   (the stack's deletion stops, and can be retried), not swallowed.
 */
import { DeleteSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';

const RECOVERY_WINDOW_DAYS = 7;
const MANAGED_BY_CLOUDFORMATION = 'aws:cloudformation:stack-id';

/**
 * Deletes every run-time secret under `prefix`; answers the names it deleted. Lists every page first:
 * deleting while paging would move later secrets onto pages already read.
 */
export async function deleteRunTimeSecrets(client: SecretsManagerClient, prefix: string, pageSize = 100): Promise<string[]> {
  if (!/^latchkey\/[a-z][a-z0-9-]*\/$/.test(prefix)) throw new TypeError(`refusing to delete secrets under ${prefix}: not latchkey/<stage>/`);
  const found: { name: string; id: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: pageSize, NextToken: nextToken }));
    for (const secret of page.SecretList ?? []) {
      if (!secret.Name?.startsWith(prefix)) continue;
      if ((secret.Tags ?? []).some((tag) => tag.Key === MANAGED_BY_CLOUDFORMATION)) continue;
      found.push({ name: secret.Name, id: secret.ARN ?? secret.Name });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  for (const { id } of found) await client.send(new DeleteSecretCommand({ SecretId: id, RecoveryWindowInDays: RECOVERY_WINDOW_DAYS }));
  return found.map(({ name }) => name);
}

/** The answer CloudFormation waits for, PUT to the event's pre-signed URL. */
export function responseTo(
  event: CloudFormationCustomResourceEvent,
  outcome: { readonly error?: string; readonly deleted?: readonly string[] },
): CloudFormationCustomResourceResponse {
  return {
    Status: outcome.error === undefined ? 'SUCCESS' : 'FAILED',
    Reason: outcome.error ?? `deleted ${outcome.deleted?.length ?? 0} run-time secrets`,
    PhysicalResourceId: event.RequestType === 'Create' ? `run-time-secrets:${process.env.LATCHKEY_SECRET_PREFIX}` : event.PhysicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    // The response is limited to 4 KB: names go to the log, only their count here.
    Data: { Deleted: String(outcome.deleted?.length ?? 0) },
  };
}

const prefix = process.env.LATCHKEY_SECRET_PREFIX;
if (!prefix) throw new TypeError('LATCHKEY_SECRET_PREFIX is not set');
const client = new SecretsManagerClient({});

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  let outcome: { error?: string; deleted?: string[] } = {};
  if (event.RequestType === 'Delete') {
    try {
      outcome = { deleted: await deleteRunTimeSecrets(client, prefix!) };
      console.log(JSON.stringify({ message: 'run-time secrets deleted', prefix, names: outcome.deleted }));
    } catch (error) {
      outcome = { error: `deleting the secrets under ${prefix} failed: ${(error as Error).name}: ${(error as Error).message}` };
      console.error(JSON.stringify({ message: 'run-time secrets not deleted', prefix, error: outcome.error }));
    }
  }
  const body = JSON.stringify(responseTo(event, outcome));
  const answer = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
  if (!answer.ok) throw new Error(`CloudFormation's response URL answered ${answer.status}`);
}
