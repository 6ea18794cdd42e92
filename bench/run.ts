import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsKeySet } from '../src/adapters/kms-key-set';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime';
import { measureBundles, reportBundles } from './bundles';
import { runLoad } from './load';
import { runDelegatedScenarios, runScenarios } from './scenarios';
import { runFailedAuthenticationScenarios } from './failed-authentication';

/**
 * `npm run bench`: bundle size and import time per function, KMS signatures per second, and token
 * throughput through the local HTTP API with the AWS calls each token costs. Figures from this
 * machine's local stand-ins measure Latchkey's own overhead, not AWS latency.
 */

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The SDK warns once that it will want Node 22; Lambda runs a newer Node, and the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

console.log('Function bundles (minified, AWS SDK included, as deployed) and import time in a fresh Node process (require, median of 5)\n');
const bundles = await measureBundles();
const bundlesOverBudget = reportBundles(bundles);
const largest = bundles.reduce((a, b) => (a.bytes > b.bytes ? a : b));
const slowest = bundles.reduce((a, b) => (a.importMs > b.importMs ? a : b));
console.log(`\n  largest ${largest.name} ${(largest.bytes / 1024).toFixed(1)} KB; slowest import ${slowest.name} ${slowest.importMs.toFixed(1)} ms`);
if (bundlesOverBudget) process.exitCode = 1;

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const runtime: LocalRuntime = await startLocalRuntime({ dataDir, port: 0 });
try {
  const signer = new KmsKeySet(new KMSClient({}), runtime.resources.signingKeyArn, [runtime.resources.signingKeyArn]);
  await signer.sign({ warm: true });
  for (const concurrency of [1, 8]) {
    const result = await runLoad({ durationMs: 3000, concurrency, request: () => signer.sign({ sub: 'bench', iat: 0 }).then(() => 200) });
    console.log(`\nKMS signer against the local stand-in, concurrency ${concurrency}: ${result.perSecond.toFixed(0)} signatures/s (p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms)`);
  }

  await runScenarios(runtime);
  await runDelegatedScenarios(runtime);
  await runFailedAuthenticationScenarios(runtime);
} finally {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
