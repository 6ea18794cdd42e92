import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, esbuildOptions } from '../../lib/constructs/bundling';
import { findOperation } from '../../lib/routes';

/**
 * The bundle budget, checked deterministically: the functions that pull in the most code (every AWS
 * SDK client, GraphQL, SAML certificates, webhooks), bundled with the options the stack deploys.
 * Import time is reported by `npm run bench`, never asserted here.
 */
const REPRESENTATIVE = ['graphql', 'token', 'generate-delegated-access-token', 'create-saml-client', 'enrichment-webhook', 'get-openid-configuration'];

let outdir = '';
let outputs: Record<string, { bytes: number; inputs: Record<string, unknown> }> = {};

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'latchkey-bundles-'));
  const entries = Object.fromEntries(REPRESENTATIVE.map((name) => [name, findOperation(name).handler]));
  const result = await build(esbuildOptions(entries, outdir));
  outputs = Object.fromEntries(
    Object.entries(result.metafile!.outputs)
      .filter(([file]) => file.endsWith('.cjs'))
      .map(([file, output]) => [file.replace(/^.*\//, '').replace(/\.cjs$/, ''), output]),
  );
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('function bundles', () => {
  it.each(REPRESENTATIVE)('%s stays within the 1 MB budget', (name) => {
    expect(outputs[name]!.bytes).toBeGreaterThan(0);
    expect(outputs[name]!.bytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });

  it('bundles the AWS SDK clients from the lockfile instead of requiring the runtime’s', () => {
    const code = readFileSync(join(outdir, 'token.cjs'), 'utf8');
    // Only the optional CRT signer (SigV4a, unused here) stays a `require` the SDK wraps in try/catch.
    const required = new Set([...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((match) => match[1]));
    expect([...required]).toEqual(['@aws-sdk/signature-v4-crt']);
    const sdk = Object.keys(outputs.token!.inputs).filter((input) => input.includes('node_modules/@aws-sdk/client-'));
    expect(sdk.length).toBeGreaterThan(0);
    const lockfile = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    expect(code).toContain(`"@aws-sdk/client-dynamodb",version:"${lockfile.packages['node_modules/@aws-sdk/client-dynamodb'].version}"`);
  });

  it('tree-shakes: the ES module builds are bundled, and a function without AWS access has no SDK', () => {
    expect(Object.keys(outputs.token!.inputs).some((input) => /@aws-sdk\/client-kms\/dist-es\//.test(input))).toBe(true);
    expect(Object.keys(outputs['get-openid-configuration']!.inputs).some((input) => input.includes('@aws-sdk/'))).toBe(false);
  });

  it('keeps the X-Ray SDK out of the eager path: loaded only for sampled invocations', () => {
    const code = readFileSync(join(outdir, 'token.cjs'), 'utf8');
    // Bundled (so a sampled invocation can load it) but behind a lazy initializer.
    expect(Object.keys(outputs.token!.inputs).some((input) => input.includes('aws-xray-sdk-core'))).toBe(true);
    expect(code).toMatch(/Promise\.resolve\(\)\.then\(\(\)=>\([A-Za-z_$][\w$]*\(\),[A-Za-z_$][\w$]*\)\)/);
  });
});
