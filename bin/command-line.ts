import { ListTagsCommand, paginateListFunctions, type LambdaClient } from '@aws-sdk/client-lambda';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * What Latchkey's operator commands (`npm run create-tenant`, `npm run rotate-signing-keys`) share:
 * usage errors, reading the command line, the run of a command with its exit codes, and finding a function of a deployed stack.
 */

/** A command line that cannot be run as given: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** `parseArgs` of node:util, its complaint about the command line (an unknown option, ...) a `UsageError`. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--stage`, checked by the CDK app's rule for its `stage` context, so it names a stack that can exist. */
export function checkStage(stage: string): string {
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) throw new UsageError(`--stage must be a lowercase name such as dev or prod, not "${stage}"`);
  return stage;
}

export interface CommandLine<C> {
  readonly usage: string;
  /** The command, or `help`; throws `UsageError` for a command line that cannot be run. */
  readonly parse: (argv: readonly string[]) => C | 'help';
  /** What a failure's message is prefixed with, e.g. `rotation failed`. */
  readonly failure: string;
  /** Runs the command; answers what to print. */
  readonly run: (command: C) => Promise<string>;
}

/** Exit codes: 0 done, 1 the command failed, 2 the command line was wrong. */
export async function runCommandLine<C>(argv: readonly string[], commandLine: CommandLine<C>): Promise<void> {
  let command: C | 'help';
  try {
    command = commandLine.parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${commandLine.usage}`);
    process.exitCode = 2;
    return;
  }
  if (command === 'help') {
    console.log(commandLine.usage);
    return;
  }
  try {
    process.stdout.write(await commandLine.run(command));
  } catch (error) {
    console.error(`${commandLine.failure}: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

/**
 * The function of `operation` in a deployed stack: CloudFormation names the functions of its nested
 * stacks `<stack>-...`; Latchkey tags each with its operation and the top-level stack's name.
 */
export async function findStackFunction(lambda: LambdaClient, stackName: string, operation: string): Promise<string> {
  const { OPERATION_TAG, STACK_TAG } = await import('../lib/constructs/latchkey-function');
  const candidates: { name: string; arn: string }[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    for (const fn of page.Functions ?? []) {
      if (fn.FunctionName?.startsWith(`${stackName}-`) && fn.FunctionArn) candidates.push({ name: fn.FunctionName, arn: fn.FunctionArn });
    }
  }
  // The generated name usually contains the construct id: check those first.
  const hint = operation.replace(/-/g, '');
  candidates.sort((a, b) => Number(b.name.toLowerCase().includes(hint)) - Number(a.name.toLowerCase().includes(hint)));
  for (const candidate of candidates) {
    const { Tags: tags = {} } = await lambda.send(new ListTagsCommand({ Resource: candidate.arn }));
    // The function lives in a nested stack of `stackName`; Latchkey tags it with the top-level stack's name.
    if (tags[OPERATION_TAG] === operation && tags[STACK_TAG] === stackName) return candidate.name;
  }
  const output = `${operation.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}FunctionName`;
  throw new Error(
    `no ${operation} function found in stack ${stackName} (region ${await lambda.config.region()}). ` +
      `Is the stack deployed there? Or pass --function-name with its ${output} output.`,
  );
}
