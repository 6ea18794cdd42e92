import { Agent, request } from 'node:http';
import { DEFAULT_THROTTLE_POLICY } from '../src/domain/authentication-throttle';
import type { LocalRuntime } from '../local/runtime';
import { runLoad } from './load';

/**
 * Wrong secrets against one client ID: how many a second are evaluated (answered 401 after the
 * secret was compared) rather than refused before evaluation (429). The target is the configured
 * limit per address and window, whatever the CPU could do; a second address is limited on its own,
 * and the real client keeps getting tokens from a third while both are limited.
 */
export async function runFailedAuthenticationScenarios(runtime: LocalRuntime): Promise<void> {
  const account = await createAccount(runtime);
  const wrong = { clientId: account.clientId, clientSecret: `${account.clientSecret}x` };
  const { windowSeconds, maxFailuresPerAddress } = DEFAULT_THROTTLE_POLICY;
  console.log(
    `\nWrong secrets for one client ID, concurrency 8 (limit: ${maxFailuresPerAddress} evaluated per address per ${windowSeconds} s window, ` +
      `${(maxFailuresPerAddress / windowSeconds).toFixed(2)}/s sustained)`,
  );

  for (const [label, address] of [
    ['from one address', '127.0.0.2'],
    ['from a second address, the first limited', '127.0.0.3'],
  ] as const) {
    const statuses = new Map<number, number>();
    const readsBefore = runtime.awsCalls()['DynamoDB_20120810.BatchGetItem'] ?? 0;
    const result = await runLoad({
      durationMs: 5000,
      concurrency: 8,
      request: async () => {
        const status = await tokenRequest(runtime.url, address, wrong);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        return status;
      },
    });
    const evaluated = statuses.get(401) ?? 0;
    const seconds = result.count / result.perSecond;
    const reads = (runtime.awsCalls()['DynamoDB_20120810.BatchGetItem'] ?? 0) - readsBefore;
    console.log(
      `  ${label}: ${result.perSecond.toFixed(0)} attempts/s, ${(evaluated / seconds).toFixed(1)} evaluated/s ` +
        `(${evaluated} evaluated of ${result.count} in ${seconds.toFixed(1)} s, ${statuses.get(429) ?? 0} refused with 429; ${reads} account reads)`,
    );
  }

  const real = await runLoad({ durationMs: 3000, concurrency: 1, request: () => tokenRequest(runtime.url, '127.0.0.4', account) });
  console.log(`  the real client from a third address meanwhile: ${real.perSecond.toFixed(0)} tokens/s, ${real.failures} refused`);
}

const agents = new Map<string, Agent>();

/** A client credentials request with HTTP Basic from a chosen loopback address; answers the status. */
function tokenRequest(url: string, localAddress: string, credentials: { clientId: string; clientSecret: string }): Promise<number> {
  const target = new URL(`${url}/oauth/v2/token`);
  const body = 'grant_type=client_credentials';
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true });
    agents.set(localAddress, agent);
  }
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        agent,
        headers: {
          authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function createAccount(runtime: LocalRuntime): Promise<{ clientId: string; clientSecret: string }> {
  const basic = `Basic ${Buffer.from(`${runtime.devAdmin.clientId}:${runtime.devAdmin.clientSecret}`).toString('base64')}`;
  const token = await fetch(`${runtime.url}/oauth/v2/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: accessToken } = (await token.json()) as { access_token: string };
  const created = await fetch(`${runtime.url}/v1/service-accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench: wrong secrets' }),
  });
  if (created.status !== 201) throw new Error(`could not create the bench account: ${created.status}`);
  return (await created.json()) as { clientId: string; clientSecret: string };
}
