import { ENV } from '../../src/config';
import type { LocalRuntime } from '../runtime';

/**
 * The `--env-vars` file of `sam local`: what a handler in a container needs to reach the stand-ins of
 * a running `npm start -- --sam` instead of AWS. SAM applies a variable of this file only to
 * functions whose template declares it, which is why `npm run sam-local` writes a template in which
 * every function declares all of them (see ./template.ts).
 */

export const SAM_LOCAL = {
  /** Fixed ports of the stand-ins under `npm start -- --sam`, so the env file stays valid across restarts. */
  ports: { dynamodb: 4001, aws: 4002, lambda: 4003 },
  /** The name Docker Desktop gives the host; on Linux, run sam with `--add-host host.docker.internal:host-gateway`. */
  containerHost: 'host.docker.internal',
  /** Where `sam local start-api` serves by default: the issuer of the tokens its functions sign. */
  issuer: 'http://127.0.0.1:3000',
  region: 'us-east-1',
} as const;

/** Credentials and endpoints that keep the AWS SDK in the container away from real AWS. */
export const STAND_IN_VARIABLES = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  // SAM passes the host's session token on; declared empty so it never leaves the machine with a request.
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_LAMBDA',
] as const;

/**
 * Variables only the local runtime sets (no deployed function has them), which handlers read: the
 * template declares them on every function, with their deployed meaning as the default, so that the
 * env file's values reach the containers. `LATCHKEY_UNSAFE_ALLOW_LOCAL_TARGETS` lets webhooks and
 * `jwksUri` reach this machine over plain http, as under `npm start`.
 */
export const LOCAL_ONLY_VARIABLES = [ENV.unsafeAllowLocalTargets] as const;

/**
 * The stand-ins' ports: `LATCHKEY_DYNAMODB_PORT`, `LATCHKEY_AWS_PORT` and `LATCHKEY_LAMBDA_PORT` when
 * set; otherwise free ports, or with `--sam` the fixed ports of `SAM_LOCAL` (the env file names
 * whichever ports the stand-ins got).
 */
export function standInPorts(sam: boolean, port: (name: string, fallback: number) => number): { dynamodb: number; aws: number; lambda: number } {
  const fallback = sam ? SAM_LOCAL.ports : { dynamodb: 0, aws: 0, lambda: 0 };
  return {
    dynamodb: port('LATCHKEY_DYNAMODB_PORT', fallback.dynamodb),
    aws: port('LATCHKEY_AWS_PORT', fallback.aws),
    lambda: port('LATCHKEY_LAMBDA_PORT', fallback.lambda),
  };
}

export interface SamEnvFile {
  readonly Parameters: Readonly<Record<string, string>>;
}

type RuntimeFacts = Pick<LocalRuntime, 'endpoints'>;

/** Call it in the process of a started local runtime: it reads the variables the runtime set. */
export function samEnvFile(runtime: RuntimeFacts, containerHost: string = SAM_LOCAL.containerHost, environment: NodeJS.ProcessEnv = process.env): SamEnvFile {
  const inContainer = (url: string) => {
    const parsed = new URL(url);
    parsed.hostname = containerHost;
    return parsed.origin;
  };
  const standIns: Record<(typeof STAND_IN_VARIABLES)[number], string> = {
    AWS_REGION: SAM_LOCAL.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: '',
    AWS_ENDPOINT_URL_DYNAMODB: inContainer(runtime.endpoints.dynamodb),
    AWS_ENDPOINT_URL_KMS: inContainer(runtime.endpoints.aws),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: inContainer(runtime.endpoints.aws),
    AWS_ENDPOINT_URL_LAMBDA: inContainer(runtime.endpoints.lambda),
  };
  // The values the local runtime gave its own handlers (it sets them in this process's environment),
  // so a variable added there reaches the containers too; only the issuer differs.
  const latchkey: Record<string, string> = {};
  for (const name of Object.values(ENV)) {
    const value = environment[name];
    if (value !== undefined) latchkey[name] = value;
  }
  latchkey[ENV.issuer] = SAM_LOCAL.issuer;
  return { Parameters: { ...standIns, ...latchkey } };
}
