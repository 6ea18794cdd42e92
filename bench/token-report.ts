import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from './aws-in-memory';
import { costPerMillion, LAMBDA_MEMORY_MB, PRICES } from './cost-model';
import type { ModeFigures } from './token-costs';

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

export function measureModes(): ModeFigures[] {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'token-costs.ts');
  return (['envelope', 'kms'] as const).map((mode) => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, mode], { encoding: 'utf8', env: process.env, maxBuffer: 16 * 1024 * 1024 });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status !== 0 || !line.startsWith('{')) throw new Error(`the ${mode}-mode bench failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
    return JSON.parse(line) as ModeFigures;
  });
}

export function reportModes(modes: readonly ModeFigures[]): Budget[] {
  const budgets: Budget[] = [];
  console.log(`\nTokens per signing mode (prices: ${PRICES.region}, reviewed ${PRICES.reviewed}; Lambda arm64 at ${LAMBDA_MEMORY_MB} MB)`);
  for (const figures of modes) {
    const c8 = figures.throughput['concurrency 8']!;
    const c1 = figures.throughput['concurrency 1']!;
    console.log(`\n${figures.mode.toUpperCase()} mode`);
    console.log(`  client credentials through the local HTTP API: ${c1.perSecond.toFixed(0)} tokens/s at concurrency 1, ${c8.perSecond.toFixed(0)} tokens/s at concurrency 8 (p50 ${c8.p50.toFixed(1)} ms, p99 ${c8.p99.toFixed(1)} ms, ${c8.failures} failed); ${(c8.perSecond / PREVIOUS_THROUGHPUT.high).toFixed(1)}× to ${(c8.perSecond / PREVIOUS_THROUGHPUT.low).toFixed(1)}× the ${PREVIOUS_THROUGHPUT.low}-${PREVIOUS_THROUGHPUT.high}/s before (target 3×)`);
    console.log(`    ${c8.cpuMsPerToken.toFixed(2)} ms of CPU per token for the whole local stack in one process: at most ${(1000 / c8.cpuMsPerToken).toFixed(0)} tokens/s on one idle core`);
    console.log(`  AWS calls per warm token seen by the stand-ins: ${formatStandIn(figures.standInCallsPerToken)}`);
    for (const [label, scenario] of [['client-credentials token', figures.scenarios.clientCredentials], ['delegated token (repeat subject)', figures.scenarios.delegated]] as const) {
      const calls = new Map(Object.entries(scenario.calls));
      const cost = costPerMillion(calls, scenario.tokens, scenario.cpuMsPerToken);
      console.log(`  ${label}: ${scenario.cpuMsPerToken.toFixed(3)} ms CPU per warm token (in process, AWS answered from memory)`);
      console.log(`    AWS calls per token: ${formatCalls(calls, scenario.tokens)}`);
      console.log(`    cost per million: $${cost.perMillion.toFixed(2)} (${Object.entries(cost.byService).filter(([, v]) => v > 0).map(([k, v]) => `${k} $${v.toFixed(3)}`).join(', ')}; billed ${cost.billedMs} ms each) — Cognito M2M from $${(PRICES.cognitoM2mTokenRequest * 1e6).toFixed(0)}`);
    }
  }

  const envelope = modes.find((figures) => figures.mode === 'envelope');
  if (envelope) {
    const cc = envelope.scenarios.clientCredentials;
    const perToken = (predicate: (operation: string) => boolean) =>
      Object.entries(cc.calls).filter(([operation]) => predicate(operation)).reduce((sum, [, record]) => sum + record.count, 0) / cc.tokens;
    const reads = perToken((operation) => /^DynamoDB\.(Get|BatchGet|Query|Scan)/.test(operation));
    const writes = perToken((operation) => operation.startsWith('DynamoDB.') && !/^DynamoDB\.(Get|BatchGet|Query|Scan)/.test(operation));
    const kms = perToken((operation) => operation.startsWith('KMS.'));
    budgets.push(
      { name: 'envelope client-credentials: one DynamoDB read per token', ok: reads === 1 && writes === 0, detail: `${reads} reads, ${writes} writes` },
      { name: 'envelope client-credentials: no KMS call per warm token', ok: kms === 0, detail: `${kms} KMS calls` },
      { name: 'envelope client-credentials: at most 1 ms CPU per warm token', ok: cc.cpuMsPerToken <= 1, detail: `${cc.cpuMsPerToken.toFixed(3)} ms` },
    );
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
  return entries.length === 0 ? 'none' : entries.map(([target, count]) => `${target.replace(/^DynamoDB_\d+\./, 'DynamoDB.').replace(/^TrentService\./, 'KMS.')} ×${+count.toFixed(2)}`).join(', ');
}
