#!/usr/bin/env node
// @ts-check
/* global process, console, Buffer */
/**
 * The static checks of `npm test` (and `npm run lint`): the type checks of the code and of the
 * console, and Biome's lint and formatting check (`biome.jsonc`), run at the same time. The type
 * checks keep what they learnt under `node_modules/.cache/` (git-ignored), so a run after a small
 * change rechecks little; Biome needs no cache, it checks the whole tree in about a second.
 *
 * With `--and-tests` (what `npm test` runs), the test suite runs as well, at the same time: its
 * output streams as it comes, and the checks, at a lower CPU priority, fill the moments the tests
 * leave a core idle (waiting on a browser, a child process or a timeout). Each check's output is
 * printed in one block, after the tests when they run, so outputs never interleave; the script
 * fails when any check or the tests fail.
 *
 * Usage: `node scripts/check.mjs [--and-tests] [name…]` (default: all checks).
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join('node_modules', '.cache');

/** @type {Record<string, [string, ...string[]]>} */
const checks = {
  tsc: ['tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', join(cache, 'tsc', 'root.tsbuildinfo')],
  'tsc-console': ['tsc', '--noEmit', '-p', 'console', '--incremental', '--tsBuildInfoFile', join(cache, 'tsc', 'console.tsbuildinfo')],
  // `ci` never writes: it fails on a lint finding (warnings included) and on a file not formatted.
  biome: ['biome', 'ci', '--colors=off', '--error-on-warnings', '.'],
};
const tests = ['vitest', 'run', '--coverage'];

const args = process.argv.slice(2);
const withTests = args.includes('--and-tests');
const wanted = args.filter((arg) => arg !== '--and-tests');
const unknown = wanted.filter((name) => !(name in checks));
if (unknown.length > 0) {
  console.error(`unknown check ${unknown.join(', ')}; known: ${Object.keys(checks).join(', ')} (and --and-tests)`);
  process.exit(2);
}

/** @type {string[]} */
const reports = [];

/** Runs one check to its end, its output kept for its report; answers whether it passed. */
function runCheck(/** @type {string} */ name) {
  const [command, ...checkArgs] = checks[name];
  const started = Date.now();
  const child = spawn(join(root, 'node_modules', '.bin', command), checkArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // Behind the tests, whose timeouts are real: the checks take what CPU the tests leave.
  if (withTests && child.pid !== undefined) setPriority(child.pid, 10);
  /** @type {Buffer[]} */
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  /** @type {(line: string) => void} */
  const report = (line) => (withTests ? reports.push(line) : console.log(line));
  return new Promise((resolve) => {
    child.on('error', (error) => {
      report(`✗ ${name}: ${error.message}`);
      resolve(false);
    });
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const text = Buffer.concat(output).toString('utf8').trimEnd();
      const passed = code === 0;
      const line = `${passed ? '✓' : '✗'} ${name} (${[command, ...checkArgs].join(' ')}) ${passed ? 'passed' : `failed (exit ${code})`} in ${seconds} s`;
      report(text ? `${line}\n${text.replace(/^/gm, '  ')}` : line);
      resolve(passed);
    });
  });
}

/** Runs the tests with their output on this terminal; answers whether they passed. */
function runTests() {
  const [command, ...testArgs] = tests;
  const child = spawn(join(root, 'node_modules', '.bin', command), testArgs, { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`✗ tests: ${error.message}`);
      resolve(false);
    });
    child.on('close', (code) => resolve(code === 0));
  });
}

const names = wanted.length > 0 ? wanted : Object.keys(checks);
const results = await Promise.all([...names.map(runCheck), ...(withTests ? [runTests()] : [])]);
if (withTests) console.log(`\nStatic checks:\n${reports.join('\n')}`);
process.exit(results.every(Boolean) ? 0 : 1);
