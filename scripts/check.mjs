#!/usr/bin/env node
// @ts-check
/* global process, console, Buffer */
/**
 * The static checks of `npm test` (and `npm run lint`), run at the same time: the type checks of the
 * code and of the console, ESLint and Prettier. Each keeps what it learnt under
 * `node_modules/.cache/` (git-ignored), so a run after a small change rechecks little.
 *
 * Each check's output is printed in one block once it ends, so outputs never interleave; the
 * script fails when any check fails. Usage: `node scripts/check.mjs [name…]` (default: all).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join('node_modules', '.cache');

/** @type {Record<string, [string, ...string[]]>} */
const checks = {
  tsc: ['tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', join(cache, 'tsc', 'root.tsbuildinfo')],
  'tsc-console': ['tsc', '--noEmit', '-p', 'console', '--incremental', '--tsBuildInfoFile', join(cache, 'tsc', 'console.tsbuildinfo')],
  eslint: ['eslint', '--cache', '--cache-strategy', 'content', '--cache-location', join(cache, 'eslint') + '/', '.'],
  prettier: ['prettier', '--check', '--cache', '--cache-location', join(cache, 'prettier', '.prettier-cache'), '.'],
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in checks));
if (unknown.length > 0) {
  console.error(`unknown check ${unknown.join(', ')}; known: ${Object.keys(checks).join(', ')}`);
  process.exit(2);
}

/** Runs one check to its end; answers whether it passed. */
function run(/** @type {string} */ name) {
  const [command, ...args] = checks[name];
  const started = Date.now();
  const child = spawn(join(root, 'node_modules', '.bin', command), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {Buffer[]} */
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`✗ ${name}: ${error.message}`);
      resolve(false);
    });
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const text = Buffer.concat(output).toString('utf8').trimEnd();
      const passed = code === 0;
      console.log(`${passed ? '✓' : '✗'} ${name} (${[command, ...args].join(' ')}) ${passed ? 'passed' : `failed (exit ${code})`} in ${seconds} s`);
      if (text) console.log(text.replace(/^/gm, '  '));
      resolve(passed);
    });
  });
}

const results = await Promise.all((wanted.length > 0 ? wanted : Object.keys(checks)).map(run));
process.exit(results.every(Boolean) ? 0 : 1);
