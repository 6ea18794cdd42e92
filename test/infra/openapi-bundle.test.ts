import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, esbuildOptions } from '../../lib/constructs/bundling';
import { findOperation, operations } from '../../lib/routes';

/**
 * The OpenAPI generator and its response schemas are code only `GET /openapi.json` needs: no other
 * function carries them, and the one that serves the document stays within the bundle budget with
 * no AWS SDK (it has no AWS access).
 */

const outdir = mkdtempSync(join(tmpdir(), 'latchkey-openapi-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the OpenAPI generator in function bundles', () => {
  it('is in the get-openapi function only', async () => {
    // Our own modules only (packages stay external): enough to see which functions import the generator.
    const entries = Object.fromEntries(operations.map((operation) => [operation.name, operation.handler]));
    const result = await build({
      entryPoints: entries,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      outdir,
      logLevel: 'silent',
    });
    const carrying = Object.entries(result.metafile.outputs)
      .filter(([, output]) => Object.keys(output.inputs).some((input) => input.startsWith('src/openapi/')))
      .map(([file]) => file.replace(/^.*\//, '').replace(/\.js$/, ''));
    expect(carrying).toEqual(['get-openapi']);
  }, 120_000);

  it('serves the document from a bundle within the budget and without the AWS SDK', async () => {
    const result = await build(esbuildOptions({ 'get-openapi': findOperation('get-openapi').handler }, outdir));
    const [, output] = Object.entries(result.metafile!.outputs).find(([file]) => file.endsWith('get-openapi.cjs'))!;
    expect(output.bytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    expect(Object.keys(output.inputs).some((input) => input.includes('@aws-sdk/'))).toBe(false);
    expect(Object.keys(output.inputs)).toContain('src/openapi/document.ts');
  }, 120_000);
});
