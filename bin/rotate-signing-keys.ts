/**
 * `npm run rotate-signing-keys -- --stage prod`: one rotation of the envelope-mode token signing keys
 * (a new next key; next → current → previous), the same step the stack's schedule runs, by invoking
 * the stack's `rotate-signing-keys` function with your AWS credentials (`lambda:InvokeFunction` on
 * it). `--local` does the same against `npm start` on this machine.
 *
 * A rotation sooner than the minimum interval after the last one changes nothing and says so: the
 * key published as next must reach every verifier's cached JWKS before it signs.
 *
 * `--retire-current` (a suspected compromise of the signing key) takes the current key out of the
 * JWKS and every signer at once, whenever the last rotation was: next signs, a fresh next is made,
 * and tokens the retired key signed stop verifying (docs/operations.md says how fast). In KMS
 * signing mode the next published KMS key (a standby key named in `signingKeys`) takes over.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findOperation } from '../lib/routes';
import { checkStage, findStackFunction, parseCommandLine, runCommandLine, UsageError } from './command-line';
import { LOCAL_ENDPOINTS_FILE, type LocalEndpoints } from '../local/endpoints';
import type { RotationAnswer } from '../functions/ops/rotate-signing-keys';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const OPERATION = findOperation('rotate-signing-keys').name;

export const USAGE = `Usage: npm run rotate-signing-keys -- [options]

  --stage <stage>          stage of the deployed stack Latchkey-<stage> (default dev)
  --function-name <name>   the rotation function (stack output RotateSigningKeysFunctionName); found by tags if omitted
  --region <region>        AWS region (default: from the AWS environment)
  --local [<data dir>]     rotate the keys of the local runtime (npm start) instead; data dir default .latchkey
  --retire-current         retire the current signing key now (suspected compromise): it leaves the JWKS,
                           the next key signs and a fresh next key is made; ignores the minimum interval
  --help                   show this help`;

export type RotateCommand = (
  | { readonly target: 'aws'; readonly stackName: string; readonly functionName?: string; readonly region?: string }
  | { readonly target: 'local'; readonly dataDir: string }
) & { readonly retireCurrent?: true };

export function parseRotateArgs(argv: readonly string[]): RotateCommand | 'help' {
  const { values, positionals } = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      stage: { type: 'string', default: 'dev' },
      'function-name': { type: 'string' },
      region: { type: 'string' },
      local: { type: 'boolean', default: false },
      'retire-current': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const retire = values['retire-current'] ? ({ retireCurrent: true } as const) : {};
  if (values.local) {
    if (positionals.length > 1) throw new UsageError('--local takes at most one data folder');
    return { target: 'local', dataDir: positionals[0] ?? process.env.LATCHKEY_DATA_DIR ?? join(REPOSITORY_ROOT, '.latchkey'), ...retire };
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return {
    target: 'aws',
    stackName: `Latchkey-${checkStage(values.stage)}`,
    ...(values['function-name'] ? { functionName: values['function-name'] } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...retire,
  };
}

/** What the rotation function is asked: `{}` rotates, `{"retireCurrent":true}` retires the current key. */
export function rotationRequest(command: { readonly retireCurrent?: true }): string {
  return JSON.stringify(command.retireCurrent ? { retireCurrent: true } : {});
}

export async function invokeRotation(lambda: LambdaClient, functionName: string, request = '{}'): Promise<RotationAnswer> {
  const response = await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(request) }));
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  let payload: Record<string, unknown> | undefined;
  try {
    payload = JSON.parse(text) as Record<string, unknown>;
  } catch {
    payload = undefined;
  }
  if (response.FunctionError) throw new Error(`the rotation function failed: ${typeof payload?.errorMessage === 'string' ? payload.errorMessage : text || response.FunctionError}`);
  if (typeof payload?.rotated !== 'boolean') throw new Error(`the rotation function answered something unexpected; is ${functionName} Latchkey's rotate-signing-keys function?`);
  return payload as unknown as RotationAnswer;
}

export function formatRotation(answer: RotationAnswer): string {
  const ring = answer.current ? `\n  next      ${answer.next ?? '(none)'}\n  current   ${answer.current}\n  previous  ${answer.previous?.join(', ') || '(none)'}` : '';
  const withdrawn = answer.withdrawn?.length ? `\n  withdrawn ${answer.withdrawn.join(', ')}` : '';
  if (answer.rotated && answer.retired)
    return `Current signing key ${answer.retired} retired (version ${answer.version}): no longer published, no longer signing.${ring}${withdrawn}\n`;
  if (answer.rotated) return `Signing keys rotated (version ${answer.version}).${ring}${withdrawn}\n`;
  const why =
    answer.reason === 'too-soon'
      ? 'the last rotation was less than the minimum interval ago'
      : answer.reason === 'no-signing-key'
        ? 'there is no signing key yet (run a rotation first)'
        : answer.reason === 'no-standby-key'
          ? 'no other published signing key could take over (KMS mode: publish a standby key in signingKeys first)'
          : 'another rotation ran at the same time and took effect';
  return `Signing keys not rotated: ${why}.${ring}\n`;
}

/** The local runtime's Lambda endpoint, which `npm start` writes to its data folder. */
function localLambda(dataDir: string): { lambda: LambdaClient; functionName: string } {
  const file = join(dataDir, LOCAL_ENDPOINTS_FILE);
  if (!existsSync(file)) throw new Error(`${file} not found: is the local runtime (npm start) running with this data folder?`);
  const endpoints = JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints;
  const functionName = endpoints.functionArns[OPERATION];
  if (!functionName) throw new Error(`the local runtime has no ${OPERATION} function`);
  const lambda = new LambdaClient({ endpoint: endpoints.lambda, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return { lambda, functionName };
}

/** The rotation function to invoke: the local runtime's, or the deployed stack's. */
async function rotationTarget(command: Exclude<RotateCommand, 'help'>): Promise<{ lambda: LambdaClient; functionName: string }> {
  if (command.target === 'local') return localLambda(command.dataDir);
  const lambda = new LambdaClient(command.region ? { region: command.region } : {});
  return { lambda, functionName: command.functionName ?? (await findStackFunction(lambda, command.stackName, OPERATION)) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCommandLine(process.argv.slice(2), {
    usage: USAGE,
    parse: parseRotateArgs,
    failure: 'rotation failed',
    run: async (command) => {
      const { lambda, functionName } = await rotationTarget(command);
      return formatRotation(await invokeRotation(lambda, functionName, rotationRequest(command)));
    },
  });
}
