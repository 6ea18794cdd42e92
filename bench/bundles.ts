import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../lib/constructs/bundling';
import { operations } from '../lib/routes';
import { REPOSITORY_ROOT } from '../local/runtime';

/**
 * Bundles every operation exactly as the stack does and measures, per function, the minified size
 * and the time a fresh Node process takes to import it (the module-scope work of a cold start).
 * The bundles are written inside node_modules so the AWS SDK, external as in Lambda, resolves.
 */

export interface BundleFigures {
  readonly name: string;
  readonly bytes: number;
  readonly importMs: number;
}

const OUT_DIR = join(REPOSITORY_ROOT, 'node_modules', '.cache', 'latchkey-bench');

/** What a cold start reads from its environment; values only need to be well-formed. */
const COLD_START_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  LATCHKEY_ISSUER: 'https://id.example.com',
  LATCHKEY_TABLE_NAME: 'latchkey-bench',
  LATCHKEY_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LATCHKEY_PUBLISHED_KEY_IDS: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LATCHKEY_PEPPER_SECRET_ID: 'latchkey/bench/pepper',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // Lambda runs a newer Node.js than this machine; the SDK's warning about Node 20 is not part of a cold start there.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export async function measureBundles(importRuns = 3): Promise<BundleFigures[]> {
  mkdirSync(OUT_DIR, { recursive: true });
  const figures: BundleFigures[] = [];
  for (const operation of operations) {
    const outfile = join(OUT_DIR, `${operation.name}.cjs`);
    await build({
      entryPoints: [join(REPOSITORY_ROOT, operation.handler)],
      outfile,
      bundle: true,
      platform: 'node',
      format: BUNDLING.format,
      minify: BUNDLING.minify,
      target: BUNDLING.target,
      mainFields: [...BUNDLING.mainFields],
      external: [...BUNDLING.externalModules],
      logLevel: 'error',
    });
    const times: number[] = [];
    for (let run = 0; run < importRuns; run++) {
      const script = `const t=performance.now();await import(${JSON.stringify(outfile)});console.log(performance.now()-t)`;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...COLD_START_ENV, ...extraEnv(operation.name) },
        encoding: 'utf8',
      });
      times.push(Number(output.trim().split('\n').at(-1)));
    }
    figures.push({ name: operation.name, bytes: statSync(outfile).size, importMs: median(times) });
  }
  return figures;
}

/** Variables some operations read at cold start beyond the common ones. */
function extraEnv(_name: string): Record<string, string> {
  return {};
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
