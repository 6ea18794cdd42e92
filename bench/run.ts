import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '../local/runtime';
import { measureBundles, reportBundles } from './bundles';
import { runFailedAuthenticationScenarios } from './failed-authentication';
import { measureModes, reportModes } from './token-report';

/**
 * `npm run bench`: bundle size and import time per function; then, for each signing mode, token
 * throughput through the local HTTP API, CPU and AWS calls per warm token (client credentials and
 * delegated), and the cost per million tokens (`bench/cost-model.ts`). Figures from this machine's
 * local stand-ins measure Latchkey's own overhead, not AWS latency. Exits 1 when a budget is exceeded.
 */

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

// `npm run bench -- --tokens`: the token figures only.
if (!process.argv.includes('--tokens')) {
  console.log('Function bundles (minified, AWS SDK included, as deployed) and import time in a fresh Node process (require, median of 5)\n');
  const bundles = await measureBundles();
  const bundlesOverBudget = reportBundles(bundles);
  const largest = bundles.reduce((a, b) => (a.bytes > b.bytes ? a : b));
  const slowest = bundles.reduce((a, b) => (a.importMs > b.importMs ? a : b));
  console.log(`\n  largest ${largest.name} ${(largest.bytes / 1024).toFixed(1)} KB; slowest import ${slowest.name} ${slowest.importMs.toFixed(1)} ms`);
  if (bundlesOverBudget) process.exitCode = 1;
}

const budgets = reportModes(await measureModes());
if (budgets.some((budget) => !budget.ok)) {
  console.error('\nA budget is exceeded.');
  process.exitCode = 1;
}

if (!process.argv.includes('--tokens')) {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  const runtime = await startLocalRuntime({ dataDir, port: 0 });
  try {
    await runFailedAuthenticationScenarios(runtime);
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
