/**
 * One signing mode's token figures, run in a process of its own (`tsx bench/token-costs.ts <mode>`)
 * because a process signs in one mode. Prints one JSON line for `bench/run.ts`:
 * - the local runtime (as `npm start` runs it) for the parent's load generator, which runs in the
 *   parent process; this process's CPU per token under that load; the AWS calls the stand-ins saw;
 * - per scenario, the handler invoked in process with AWS answered from memory: CPU ms per warm token
 *   and the AWS calls per token by operation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { startLocalRuntime } from '../local/runtime';
import { InMemoryAws, type CallRecord } from './aws-in-memory';
import { createInterface } from 'node:readline';
import { callsPerRequest } from './load';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const ROUNDS = 10;

export interface ScenarioFigures {
  /** The least CPU per token of the measured rounds. */
  readonly cpuMsPerToken: number;
  readonly cpuMsPerTokenMedian: number;
  readonly tokens: number;
  readonly calls: Record<string, CallRecord>;
}

export interface ModeFigures {
  readonly mode: 'envelope' | 'kms';
  /**
   * The local runtime's CPU per client-credentials token under load, all its threads (API emulation,
   * handler, embedded DynamoDB on its worker thread, stand-ins, garbage collection; not the load
   * generator).
   */
  readonly serverCpuMsPerToken: number;
  /**
   * The time per token its main thread (API emulation, handlers, KMS and Secrets Manager stand-ins)
   * was busy: what bounds its throughput, at one token per that many milliseconds. On a shared
   * machine it includes time the thread waited for a core mid-task.
   */
  readonly mainThreadBusyMsPerToken: number;
  readonly standInCallsPerToken: Record<string, number>;
  readonly scenarios: Record<'clientCredentials' | 'delegated', ScenarioFigures>;
  /** DynamoDB calls on the audit log's records per failed client authentication (the event a success never costs). */
  readonly auditCallsPerFailedAuthentication: number;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine(): Promise<string> {
  const { value, done } = await stdinLines.next();
  if (done) throw new Error('the bench parent closed stdin');
  return value as string;
}

const mode = process.argv[2];
if (mode !== 'envelope' && mode !== 'kms') throw new TypeError('usage: tsx bench/token-costs.ts envelope|kms');
const measured = Number(process.env.BENCH_TOKENS ?? 2000);

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const runtime = await startLocalRuntime({ dataDir, port: 0, signingMode: mode });
const aws = new InMemoryAws();
try {
  const basic = `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`;
  const form = 'grant_type=client_credentials&scope=urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Alatchkey%3Aaud';
  const overHttp = async () => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    await response.arrayBuffer();
    return response.status;
  };
  await overHttp();
  // The load generator is the parent process (another core, as with `npm start` and a load tool):
  // it gets the URL and credentials, loads the API, and answers with how many tokens it got.
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  process.stdout.write(`READY ${JSON.stringify({ url: runtime.url, authorization: basic, body: form })}\n`);
  const { tokens: loaded } = JSON.parse(await nextLine()) as { tokens: number };
  const cpuUsed = process.cpuUsage(cpuBefore);
  const serverCpuMsPerToken = (cpuUsed.user + cpuUsed.system) / 1000 / loaded;
  const mainThreadBusyMsPerToken = performance.eventLoopUtilization(loopBefore).active / loaded;
  const standInCallsPerToken = await callsPerRequest(runtime, 50, overHttp);

  // The delegated scenario's application and connection, made over the API like a user would.
  const adminToken = (
    (await (
      await fetch(`${runtime.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string }
  ).access_token;
  const manage = (path: string, body: unknown) =>
    fetch(`${runtime.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const application = (await (await manage('/v1/applications', { name: 'Bench app' })).json()) as { id: string };
  const connection = await manage('/v1/idp-connections', { type: 'delegated', enabled: true, applicationIds: [application.id] });
  if (connection.status !== 201) throw new Error(`could not create the delegated connection: ${connection.status}`);

  const token = (await import('../functions/oauth/token')).handler as unknown as Handler;
  const delegated = (await import('../functions/delegated-access-tokens/generate-delegated-access-token')).handler as unknown as Handler;
  const scenarios = {
    clientCredentials: await inProcess(token, event('POST', '/oauth/v2/token', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, form)),
    delegated: await inProcess(
      delegated,
      event(
        'POST',
        '/v1/delegated-access-tokens',
        { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        JSON.stringify({ applicationId: application.id, subjectId: 'bench-repeat', email: 'bench-repeat@example.com' }),
      ),
    ),
  };
  // After the scenarios, with an account of its own: a failure marks its client, which changes what its later tokens cost.
  const failing = (await (await manage('/v1/service-accounts', { name: 'Bench failures' })).json()) as { clientId: string; clientSecret: string };
  const wrong = `Basic ${Buffer.from(`${failing.clientId}:${failing.clientSecret}x`).toString('base64')}`;
  aws.takeCalls();
  const failures = 3;
  for (let index = 0; index < failures; index++) {
    const result = await token(event('POST', '/oauth/v2/token', { authorization: wrong, 'content-type': 'application/x-www-form-urlencoded' }, form)(), context());
    if (typeof result !== 'object' || result.statusCode !== 401) throw new Error('a wrong secret was not answered 401');
  }
  const auditCallsPerFailedAuthentication = [...aws.takeCalls().values()].reduce((sum, record) => sum + record.auditCalls, 0) / failures;
  const figures: ModeFigures = { mode, serverCpuMsPerToken, mainThreadBusyMsPerToken, standInCallsPerToken, scenarios, auditCallsPerFailedAuthentication };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  aws.restore();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Warm the handler against the stand-ins (recording their answers), then measure it against memory, in rounds. */
async function inProcess(handler: Handler, makeEvent: () => APIGatewayProxyEventV2): Promise<ScenarioFigures> {
  const invoke = async () => {
    const result = await handler(makeEvent(), context());
    const status = typeof result === 'object' ? (result.statusCode ?? 200) : 200;
    if (status >= 400) throw new Error(`the handler answered ${status}: ${typeof result === 'object' ? result.body : result}`);
  };
  aws.mode = 'recording';
  for (let index = 0; index < 5; index++) await invoke();
  aws.mode = 'replaying';
  for (let index = 0; index < 300; index++) await invoke();
  aws.takeCalls();
  // In rounds: on a shared machine, other processes' work inflates this one's CPU time too (caches,
  // the sibling hyperthread), so the least round is the figure and the median is reported beside it.
  const rounds: number[] = [];
  const perRound = Math.max(1, Math.floor(measured / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage();
    for (let index = 0; index < perRound; index++) await invoke();
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / 1000 / perRound);
  }
  const calls = Object.fromEntries(aws.takeCalls());
  aws.mode = 'recording';
  rounds.sort((a, b) => a - b);
  return { cpuMsPerToken: rounds[0]!, cpuMsPerTokenMedian: rounds[Math.floor(ROUNDS / 2)]!, tokens: perRound * ROUNDS, calls };
}

function event(method: string, path: string, headers: Record<string, string>, body: string): () => APIGatewayProxyEventV2 {
  return () => {
    const now = Date.now();
    return {
      version: '2.0',
      routeKey: `${method} ${path}`,
      rawPath: path,
      rawQueryString: '',
      headers: { host: 'localhost', ...headers },
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        requestId: randomUUID(),
        routeKey: `${method} ${path}`,
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      },
      body,
      isBase64Encoded: false,
    } as APIGatewayProxyEventV2;
  };
}

function context(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
