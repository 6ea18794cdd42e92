import { measureBundles } from './bundles';
import { measureModes, reportModes } from './token-report';

/**
 * `npm run bench`: bundle size and import time per function; then, for each signing mode, token
 * throughput through the local HTTP API, CPU and AWS calls per warm token (client credentials and
 * delegated), and the cost per million tokens (`bench/cost-model.ts`). Figures from this machine's
 * local stand-ins measure Latchkey's own overhead, not AWS latency. Exits 1 when a budget is exceeded.
 */

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The SDK warns once that it will want Node 22; Lambda runs a newer Node, and the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const BUNDLE_LIMIT = 300 * 1024;
const IMPORT_LIMIT_MS = 100;

// `npm run bench -- --tokens`: the token figures only.
if (!process.argv.includes('--tokens')) {
  console.log('Function bundles (minified, as deployed) and import time in a fresh Node process (median of 3)\n');
  const bundles = await measureBundles();
  for (const bundle of bundles) {
    const flags = `${bundle.bytes > BUNDLE_LIMIT ? ' OVER 300 KB' : ''}${bundle.importMs > IMPORT_LIMIT_MS ? ' OVER 100 ms' : ''}`;
    console.log(`  ${bundle.name.padEnd(36)} ${(bundle.bytes / 1024).toFixed(1).padStart(7)} KB ${bundle.importMs.toFixed(1).padStart(7)} ms${flags}`);
  }
  const largest = bundles.reduce((a, b) => (a.bytes > b.bytes ? a : b));
  const slowest = bundles.reduce((a, b) => (a.importMs > b.importMs ? a : b));
  console.log(`\n  largest ${largest.name} ${(largest.bytes / 1024).toFixed(1)} KB; slowest import ${slowest.name} ${slowest.importMs.toFixed(1)} ms`);
}

const budgets = reportModes(await measureModes());
if (budgets.some((budget) => !budget.ok)) {
  console.error('\nA budget is exceeded.');
  process.exitCode = 1;
}
