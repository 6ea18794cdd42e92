import type { LocalRuntime } from '../local/runtime';
import { callsPerRequest, formatCalls, runLoad } from './load';

/** Token throughput through the local HTTP API, and the AWS calls each token costs once warm. */
export async function runScenarios(runtime: LocalRuntime): Promise<void> {
  const basic = `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`;
  const clientCredentials = async () => {
    const response = await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=urn%3Azitadel%3Aiam%3Aorg%3Aproject%3Aid%3Alatchkey%3Aaud',
    });
    await response.arrayBuffer();
    return response.status;
  };
  await clientCredentials(); // warm: handler imported, keys and pepper cached
  for (const concurrency of [1, 8]) {
    const result = await runLoad({ durationMs: 4000, concurrency, request: clientCredentials });
    console.log(`\nClient-credentials tokens through the local HTTP API, concurrency ${concurrency}: ${result.perSecond.toFixed(0)} tokens/s (p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.failures} failed)`);
  }
  console.log(`  AWS calls per token (warm): ${formatCalls(await callsPerRequest(runtime, 20, clientCredentials))}`);
}
