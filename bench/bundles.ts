import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_BUDGET_BYTES, esbuildOptions } from '../lib/constructs/bundling';
import { operations } from '../lib/routes';
import { REPOSITORY_ROOT } from '../local/runtime';

/**
 * Bundles every operation exactly as the stack does (AWS SDK clients included) and measures, per
 * function, the minified size and the time a fresh Node process takes to load it the way the Lambda
 * runtime loads a CommonJS handler (`require`, as deployed): the module-scope work of
 * a cold start. Import times are reported, never asserted in a test; the size budget is also
 * checked by test/infra/bundles.test.ts.
 */

export interface BundleFigures {
  readonly name: string;
  readonly bytes: number;
  readonly importMs: number;
  /** CPU time of the same loads (median): what the import costs when the machine is busy. */
  readonly importCpuMs: number;
}

/** Import-time targets (reported, flagged; the machine is noisy, so they are not a gate). */
export const IMPORT_TARGET_MS = 100;
export const TOKEN_IMPORT_TARGET_MS = 80;
export { BUNDLE_BUDGET_BYTES };

const OUT_DIR = join(REPOSITORY_ROOT, 'node_modules', '.cache', 'latchkey-bench');

/** What a cold start reads from its environment; values only need to be well-formed. */
const COLD_START_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  LATCHKEY_ISSUER: 'https://id.example.com',
  LATCHKEY_TABLE_NAME: 'latchkey-bench',
  LATCHKEY_SIGNING_MODE: 'envelope',
  LATCHKEY_KEY_WRAPPING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LATCHKEY_SIGNING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LATCHKEY_PUBLISHED_KEY_IDS: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  LATCHKEY_PEPPER_SECRET_ID: 'latchkey/bench/pepper',
  LATCHKEY_SAML_KEY_WRAPPING_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench-saml',
  LATCHKEY_WEBHOOK_SECRET_PREFIX: 'latchkey/bench/webhook/',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/** Builds every function's bundle in one esbuild call; sizes by operation name. */
export async function buildBundles(): Promise<Map<string, { file: string; bytes: number }>> {
  mkdirSync(OUT_DIR, { recursive: true });
  const entries = Object.fromEntries(operations.map((operation) => [operation.name, join(REPOSITORY_ROOT, operation.handler)]));
  const { metafile } = await build(esbuildOptions(entries, OUT_DIR));
  const sizes = new Map<string, { file: string; bytes: number }>();
  for (const [file, output] of Object.entries(metafile!.outputs)) {
    if (!file.endsWith('.cjs')) continue;
    const name = file.replace(/^.*\//, '').replace(/\.cjs$/, '');
    sizes.set(name, { file: join(OUT_DIR, `${name}.cjs`), bytes: output.bytes });
  }
  return sizes;
}

/** Median import time of one bundle over `runs` fresh Node processes. */
export function importTime(file: string, runs = 5): number {
  return importTimes(file, runs).wallMs;
}

/**
 * Median wall time and median CPU time of loading one bundle over `runs` fresh Node processes. On an
 * idle machine they agree; on a busy one the wall time includes waiting for a core, the CPU time not.
 */
export function importTimes(file: string, runs = 5): { wallMs: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const script = `const c=process.cpuUsage(),t=performance.now();require(${JSON.stringify(file)});const w=performance.now()-t,u=process.cpuUsage(c);console.log(w,(u.user+u.system)/1000)`;
    const output = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...COLD_START_ENV }, encoding: 'utf8' });
    const [wallMs, cpuMs] = output.trim().split('\n').at(-1)!.split(' ').map(Number);
    wall.push(wallMs!);
    cpu.push(cpuMs!);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function measureBundles(importRuns = 5): Promise<BundleFigures[]> {
  const sizes = await buildBundles();
  return operations.map((operation) => {
    const { file, bytes } = sizes.get(operation.name)!;
    const { wallMs, cpuMs } = importTimes(file, importRuns);
    return { name: operation.name, bytes, importMs: wallMs, importCpuMs: cpuMs };
  });
}

/** Prints the table; true when a bundle is over the size budget (the bench then exits non-zero). */
export function reportBundles(bundles: readonly BundleFigures[]): boolean {
  let overBudget = false;
  for (const bundle of bundles) {
    const target = bundle.name === 'token' ? TOKEN_IMPORT_TARGET_MS : IMPORT_TARGET_MS;
    const over = bundle.bytes > BUNDLE_BUDGET_BYTES;
    overBudget ||= over;
    const flags = `${over ? ' OVER 1 MB' : ''}${bundle.importMs > target ? ` over ${target} ms` : ''}`;
    console.log(
      `  ${bundle.name.padEnd(36)} ${(bundle.bytes / 1024).toFixed(1).padStart(7)} KB ${bundle.importMs.toFixed(1).padStart(7)} ms (CPU ${bundle.importCpuMs.toFixed(1)} ms)${flags}`,
    );
  }
  return overBudget;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
