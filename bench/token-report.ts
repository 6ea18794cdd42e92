import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from './aws-in-memory';
import { costPerMillion, LAMBDA_MEMORY_MB, PRICES } from './cost-model';
import { formPoster, runLoad } from './load';
import type { ModeFigures } from './token-costs';

type Throughput = Record<string, { perSecond: number; p50: number; p99: number; failures: number; throttled: number }>;
export type MeasuredMode = ModeFigures & { readonly throughput: Throughput };

/**
 * Token figures of both signing modes side by side, with their cost per million tokens, and the
 * budgets they must keep. Each mode runs in a child process (`bench/token-costs.ts`).
 */

/** Client-credentials throughput before envelope signing, through the same local API, concurrency 8. */
const PREVIOUS_THROUGHPUT = { low: 100, high: 135 };

export interface Budget {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export async function measureModes(): Promise<MeasuredMode[]> {
  const measured: MeasuredMode[] = [];
  for (const mode of ['envelope', 'kms'] as const) measured.push(await measureMode(mode));
  return measured;
}

/** Runs one mode's child: loads its local API from here (another process, so another core), then collects its figures. */
async function measureMode(mode: 'envelope' | 'kms'): Promise<MeasuredMode> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'token-costs.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode], { env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
  const throughput: Throughput = {};
  let figures: ModeFigures | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('READY ')) {
      const { url, authorization, body } = JSON.parse(line.slice(6)) as { url: string; authorization: string; body: string };
      const poster = formPoster(`${url}/oauth/v2/token`, { authorization }, body);
      let tokens = 0;
      for (const concurrency of [1, 8]) {
        // Tokens answered per second; the route's emulated throttle (429 past its rate, as under npm start) is counted apart.
        const { succeededPerSecond, p50, p99, failures, throttled, succeeded } = await runLoad({ durationMs: 5000, concurrency, request: poster.post });
        throughput[`concurrency ${concurrency}`] = { perSecond: succeededPerSecond, p50, p99, failures, throttled };
        tokens += succeeded;
      }
      poster.close();
      child.stdin.end(`${JSON.stringify({ tokens })}\n`);
    } else if (line.startsWith('{')) {
      figures = JSON.parse(line) as ModeFigures;
    }
  }
  const status = await exited;
  if (status !== 0 || !figures) throw new Error(`the ${mode}-mode bench failed (exit ${status}):\n${stderr}`);
  return { ...figures, throughput };
}

export function reportModes(modes: readonly MeasuredMode[]): Budget[] {
  const budgets: Budget[] = [];
  console.log(`\nTokens per signing mode (prices: ${PRICES.region}, reviewed ${PRICES.reviewed}; Lambda arm64 at ${LAMBDA_MEMORY_MB} MB)`);
  for (const figures of modes) {
    const c8 = figures.throughput['concurrency 8']!;
    const c1 = figures.throughput['concurrency 1']!;
    console.log(`\n${figures.mode.toUpperCase()} mode`);
    console.log(
      `  client credentials through the local HTTP API: ${c1.perSecond.toFixed(0)} tokens/s at concurrency 1, ${c8.perSecond.toFixed(0)} tokens/s at concurrency 8 (p50 ${c8.p50.toFixed(1)} ms, p99 ${c8.p99.toFixed(1)} ms, ${c8.failures} failed, of which ${c8.throttled} refused by the route's emulated throttle); ${(c8.perSecond / PREVIOUS_THROUGHPUT.high).toFixed(1)}× to ${(c8.perSecond / PREVIOUS_THROUGHPUT.low).toFixed(1)}× the ${PREVIOUS_THROUGHPUT.low}-${PREVIOUS_THROUGHPUT.high}/s before (target 3×)`,
    );
    console.log(
      `    the local runtime under that load, per token: ${figures.serverCpuMsPerToken.toFixed(2)} ms of CPU over all its threads; its main thread busy ${figures.mainThreadBusyMsPerToken.toFixed(2)} ms (at most ${(1000 / figures.mainThreadBusyMsPerToken).toFixed(0)} tokens/s; the embedded DynamoDB has a thread of its own, the load generator another process)`,
    );
    console.log(`  AWS calls per warm token seen by the stand-ins: ${formatStandIn(figures.standInCallsPerToken)}`);
    for (const [label, scenario] of [
      ['client-credentials token', figures.scenarios.clientCredentials],
      ['delegated token (repeat subject)', figures.scenarios.delegated],
    ] as const) {
      const calls = new Map(Object.entries(scenario.calls));
      const cost = costPerMillion(calls, scenario.tokens, scenario.cpuMsPerToken);
      console.log(
        `  ${label}: ${scenario.cpuMsPerToken.toFixed(3)} ms CPU per warm token (in process, AWS answered from memory; least of 10 rounds, median ${scenario.cpuMsPerTokenMedian.toFixed(3)} ms)`,
      );
      console.log(`    AWS calls per token: ${formatCalls(calls, scenario.tokens)}`);
      console.log(
        `    cost per million: $${cost.perMillion.toFixed(2)} (${Object.entries(cost.byService)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k} $${v.toFixed(3)}`)
          .join(', ')}; billed ${cost.billedMs} ms each) — Cognito M2M from $${(PRICES.cognitoM2mTokenRequest * 1e6).toFixed(0)}`,
      );
    }
  }

  const envelope = modes.find((figures) => figures.mode === 'envelope');
  if (envelope) {
    const cc = envelope.scenarios.clientCredentials;
    const perToken = (predicate: (operation: string) => boolean) =>
      Object.entries(cc.calls)
        .filter(([operation]) => predicate(operation))
        .reduce((sum, [, record]) => sum + record.count, 0) / cc.tokens;
    const reads = perToken((operation) => /^DynamoDB\.(Get|BatchGet|Query|Scan)/.test(operation));
    const writes = perToken((operation) => operation.startsWith('DynamoDB.') && !/^DynamoDB\.(Get|BatchGet|Query|Scan)/.test(operation));
    const kms = perToken((operation) => operation.startsWith('KMS.'));
    // Successful authentications are counted by metrics, never audited one by one (src/http/audit.ts).
    const auditCalls = Object.values(cc.calls).reduce((sum, record) => sum + (record.auditCalls ?? 0), 0) / cc.tokens;
    console.log(
      `\nAudit log (envelope): ${auditCalls} DynamoDB calls on audit records per successful client-credentials token; ${envelope.auditCallsPerFailedAuthentication} per failed one (its event: newest link, conditional put, head)`,
    );
    budgets.push(
      { name: 'envelope client-credentials: exactly one DynamoDB read per warm token', ok: reads === 1, detail: `${reads} reads` },
      // The failed-authentication throttle writes only for a client that failed lately
      // (src/domain/authentication-throttle.ts): a client that authenticates costs no write.
      { name: 'envelope client-credentials: no DynamoDB write per warm token', ok: writes === 0, detail: `${writes} writes` },
      { name: 'envelope client-credentials: no KMS call per warm token', ok: kms === 0, detail: `${kms} KMS calls` },
      { name: 'envelope client-credentials: the audit log adds no DynamoDB call to a successful token', ok: auditCalls === 0, detail: `${auditCalls} audit calls` },
      { name: 'envelope client-credentials: at most 1 ms CPU per warm token', ok: cc.cpuMsPerToken <= 1, detail: `${cc.cpuMsPerToken.toFixed(3)} ms` },
    );
    // The caller's check (account and revocation, one batch) and the token's reads (connection,
    // application, the subject's claim, user and profile, one batch: src/adapters/dynamodb/delegation-reads.ts).
    const delegated = envelope.scenarios.delegated;
    const delegatedCalls =
      Object.entries(delegated.calls)
        .filter(([operation]) => operation.startsWith('DynamoDB.'))
        .reduce((sum, [, record]) => sum + record.count, 0) / delegated.tokens;
    budgets.push({ name: 'envelope delegated token (repeat subject): at most 2 DynamoDB round trips per warm token', ok: delegatedCalls <= 2, detail: `${delegatedCalls} calls` });
  }
  console.log('\nBudgets');
  for (const budget of budgets) console.log(`  ${budget.ok ? 'ok  ' : 'OVER'} ${budget.name}: ${budget.detail}`);
  return budgets;
}

function formatCalls(calls: ReadonlyMap<string, CallRecord>, tokens: number): string {
  return calls.size === 0 ? 'none' : [...calls].map(([operation, record]) => `${operation} ×${+(record.count / tokens).toFixed(3)}`).join(', ');
}

function formatStandIn(calls: Record<string, number>): string {
  const entries = Object.entries(calls);
  return entries.length === 0
    ? 'none'
    : entries.map(([target, count]) => `${target.replace(/^DynamoDB_\d+\./, 'DynamoDB.').replace(/^TrentService\./, 'KMS.')} ×${+count.toFixed(2)}`).join(', ');
}
