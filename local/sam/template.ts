import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { OPERATION_TAG } from '../../lib/constructs/latchkey-function';
import { DEFAULT_ROUTE, type Operation } from '../../lib/routes';
import { LOCAL_ONLY_VARIABLES, type STAND_IN_VARIABLES } from './env-file';

/**
 * The template `sam local` runs: one `AWS::Serverless::Function` per Latchkey operation, made from
 * the functions of the synthesized CDK app and routed from the route table.
 *
 * Why not hand SAM the CDK template as it is: SAM applies an `--env-vars` variable only to functions
 * whose template declares it, and the deployed functions declare neither the `AWS_ENDPOINT_URL_*`
 * endpoints nor credentials, so their SDK clients would call real AWS with the host's credentials.
 * Here every function declares the variables it has in AWS plus those that point it at the
 * stand-ins; values that only CloudFormation could resolve (ARNs, the API's URL) get a placeholder
 * that `sam-env.json` replaces. The endpoints' placeholders name an unresolvable host, so a run
 * without the env file fails instead of reaching AWS.
 *
 * It reads every `AWS::Lambda::Function` of every template in the cloud assembly (nested stacks
 * included) and recognises operations by their tag, so it does not depend on the stack layout or on
 * logical IDs; its own logical IDs come from the operation names.
 */

/** CloudFormation is untyped JSON. */
// biome-ignore lint/suspicious/noExplicitAny: read by path, as CloudFormation documents it
type Json = any;

export interface SynthesizedFunction {
  readonly operation: string;
  readonly templateFile: string;
  readonly logicalId: string;
  readonly properties: Json;
  /** The function's code folder in the assembly (`aws:asset:path` metadata). */
  readonly assetPath?: string;
}

/** Every operation function of the cloud assembly in `assemblyDir`. */
export function synthesizedFunctions(assemblyDir: string): SynthesizedFunction[] {
  const found: SynthesizedFunction[] = [];
  for (const file of readdirSync(assemblyDir).filter((name) => name.endsWith('.template.json'))) {
    const template: Json = JSON.parse(readFileSync(join(assemblyDir, file), 'utf8'));
    for (const [logicalId, resource] of Object.entries<Json>(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const operation = (resource.Properties?.Tags ?? []).find((tag: Json) => tag.Key === OPERATION_TAG)?.Value;
      if (!operation) continue; // a CDK-internal function
      const assetPath = resource.Metadata?.['aws:asset:path'];
      found.push({ operation, templateFile: file, logicalId, properties: resource.Properties, ...(assetPath ? { assetPath: resolve(assemblyDir, assetPath) } : {}) });
    }
  }
  return found;
}

/** A placeholder that `sam-env.json` replaces; the endpoints' one cannot reach anything. */
export const PLACEHOLDER = 'set-by-sam-env.json';
const PLACEHOLDER_ENDPOINT = 'http://set-by-sam-env-json.invalid';
const STAND_IN_DEFAULTS: Record<(typeof STAND_IN_VARIABLES)[number], string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SESSION_TOKEN: '',
  AWS_ENDPOINT_URL_DYNAMODB: PLACEHOLDER_ENDPOINT,
  AWS_ENDPOINT_URL_KMS: PLACEHOLDER_ENDPOINT,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: PLACEHOLDER_ENDPOINT,
  AWS_ENDPOINT_URL_LAMBDA: PLACEHOLDER_ENDPOINT,
};

/** What the local template's functions run on; `host` is this machine's, so no emulation is needed. */
export type SamArchitecture = 'arm64' | 'x86_64';

/** This machine's architecture as Lambda names it. */
export const hostArchitecture = (arch: string = process.arch): SamArchitecture => (arch === 'arm64' ? 'arm64' : 'x86_64');

export interface SamTemplateOptions {
  /** @default the deployed functions' (arm64): x86 machines then run the containers under emulation */
  readonly architecture?: SamArchitecture;
}

/** `create-service-account` → `CreateServiceAccount`: stable whatever the CDK layout. */
export const samLogicalId = (operation: string): string => operation.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());

export function samLocalTemplate(functions: readonly SynthesizedFunction[], operations: readonly Operation[], templateDir: string, options: SamTemplateOptions = {}): Json {
  const Resources: Record<string, Json> = {};
  for (const operation of operations) {
    const matches = functions.filter((fn) => fn.operation === operation.name);
    if (matches.length !== 1) throw new Error(`expected one synthesized function for ${operation.name}, found ${matches.length}`);
    const fn = matches[0]!;
    const Variables: Record<string, string> = {};
    for (const [name, value] of Object.entries<Json>(fn.properties.Environment?.Variables ?? {})) {
      Variables[name] = typeof value === 'string' ? value : PLACEHOLDER;
    }
    Object.assign(Variables, STAND_IN_DEFAULTS);
    // Declared so that the env file's value applies; the default is what a deployed function has (off).
    for (const name of LOCAL_ONLY_VARIABLES) Variables[name] ??= 'false';
    const events = Object.fromEntries(
      operation.routes.map((route, index) => [
        `Route${index + 1}`,
        route.path === DEFAULT_ROUTE.path
          ? { Type: 'HttpApi', Properties: {} } // no path and method: the $default route
          : { Type: 'HttpApi', Properties: { Path: route.path, Method: route.method } },
      ]),
    );
    Resources[samLogicalId(operation.name)] = {
      Type: 'AWS::Serverless::Function',
      Properties: {
        // Without an asset (synthesized without bundling) the code folder is empty: fine for checks, not for sam.
        CodeUri: fn.assetPath ? relative(templateDir, fn.assetPath) : PLACEHOLDER,
        Handler: fn.properties.Handler,
        Runtime: fn.properties.Runtime,
        // The bundles are plain JavaScript, so either architecture runs them.
        Architectures: options.architecture ? [options.architecture] : fn.properties.Architectures,
        MemorySize: fn.properties.MemorySize,
        Timeout: fn.properties.Timeout,
        Environment: { Variables },
        ...(Object.keys(events).length > 0 ? { Events: events } : {}),
      },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: 'Latchkey for sam local, generated by npm run sam-local from the CDK app and the route table; do not edit.',
    Resources,
  };
}
