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

/** Delegated end-user tokens: the first call for a subject (creates the user and profile) and repeats. */
export async function runDelegatedScenarios(runtime: LocalRuntime): Promise<void> {
  const adminToken = await tokenFor(runtime);
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const application = (await (await call('POST', '/v1/applications', { name: 'Bench app' })).json()) as { id: string };
  const connection = await call('POST', '/v1/idp-connections', { type: 'delegated', enabled: true, applicationIds: [application.id] });
  if (connection.status !== 201) throw new Error(`could not create the delegated connection: ${connection.status}`);

  let subject = 0;
  const generate = (subjectId: string) => async () => {
    const response = await call('POST', '/v1/delegated-access-tokens', { applicationId: application.id, subjectId, email: `${subjectId}@example.com` });
    await response.arrayBuffer();
    return response.status;
  };
  const newSubject = () => generate(`bench-${++subject}`)();
  await newSubject();
  await generate('repeat')();

  for (const [label, request] of [['new subject (creates user and profile)', newSubject], ['repeat subject', generate('repeat')]] as const) {
    for (const concurrency of [1, 8]) {
      const result = await runLoad({ durationMs: 4000, concurrency, request });
      console.log(`\nDelegated tokens, ${label}, concurrency ${concurrency}: ${result.perSecond.toFixed(0)} tokens/s (p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.failures} failed)`);
    }
    console.log(`  AWS calls per token (warm): ${formatCalls(await callsPerRequest(runtime, 20, request))}`);
  }
}

async function tokenFor(runtime: LocalRuntime): Promise<string> {
  const response = await fetch(`${runtime.url}/oauth/v2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
