import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { networkInterfaces, tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../support/local-runtime';
import { runNpmStart } from '../support/npm-start';

/**
 * The embedded DynamoDB and the KMS, Secrets Manager and Lambda stand-ins answer anyone who can
 * connect, without credentials, and hold the signing keys and the pepper. Exposing the API to the
 * network (HOST=0.0.0.0) must not expose them; only the explicitly unsafe option does.
 */

/** This machine's first non-loopback IPv4 address, through which another machine would connect. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
const portOf = (url: string) => Number(new URL(url).port);

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-exposed-'));
const runtimes: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!externalAddress)(`with the API on 0.0.0.0 (seen from ${externalAddress})`, () => {
  it('the stand-ins listen on loopback only, while the API answers on the external address', async () => {
    const runtime = await startTestRuntime(undefined, { host: '0.0.0.0' });
    runtimes.push(runtime);
    expect(await reachable(externalAddress!, portOf(runtime.url))).toBe(true);
    for (const endpoint of Object.values(runtime.endpoints)) {
      expect(await reachable(externalAddress!, portOf(endpoint)), endpoint).toBe(false);
      expect(await reachable('127.0.0.1', portOf(endpoint)), endpoint).toBe(true);
    }
  });

  it('only the explicit option exposes them: npm start -- --unsafe-stand-ins-host 0.0.0.0', async () => {
    const started = await runNpmStart({ HOST: '0.0.0.0', LATCHKEY_DATA_DIR: dataDir }, ['--unsafe-stand-ins-host', '0.0.0.0']);
    runtimes.push(started);
    expect(started.output()).toContain('UNSAFE: the stand-ins below listen on 0.0.0.0');
    const ports = ['Embedded DynamoDB', 'KMS stand-in', 'Lambda stand-in'].map((name) =>
      Number(new RegExp(`${name}\\s+http://127\\.0\\.0\\.1:(\\d+)`).exec(started.output())?.[1]),
    );
    expect(
      ports.every((port) => port > 0),
      started.output(),
    ).toBe(true);
    for (const port of ports) expect(await reachable(externalAddress!, port), String(port)).toBe(true);
  });
});
