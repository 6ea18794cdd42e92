import { accessSync, constants, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

/**
 * The Chromium the console's browser tests drive through playwright-core, never a browser build a
 * test tool downloads. The first found wins (`docs/local.md`):
 * 1. `CHROMIUM_PATH`, when set: the Chrome or Chromium executable to use. A path that is not an
 *    executable file fails the tests rather than quietly testing another browser.
 * 2. The system's Chrome or Chromium: on Linux `chromium`, `chromium-browser`, `google-chrome` or
 *    `google-chrome-stable` on the PATH, then at the paths Debian, Ubuntu's snap and Google's package
 *    use; on macOS the Google Chrome or Chromium application in `/Applications` or `~/Applications`.
 * 3. On Linux x64, the headless Chromium that `npm ci` brings in the `@sparticuz/chromium` package,
 *    unpacked once from its brotli archive into `node_modules/.cache/latchkey/`.
 * Each launch gets a fresh profile folder, removed on close.
 */

export type ChromiumChoice = { readonly from: 'CHROMIUM_PATH' | 'system'; readonly path: string } | { readonly from: 'npm package' };

export interface ChromiumSearch {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  readonly home: string;
  readonly isExecutable: (path: string) => boolean;
}

const LINUX_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
// Where Debian, Ubuntu's snap and Google's package put them, for a PATH that lacks them.
const LINUX_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome', '/opt/google/chrome/chrome'];
const MAC_APPLICATIONS = ['Google Chrome.app/Contents/MacOS/Google Chrome', 'Chromium.app/Contents/MacOS/Chromium'];

/** Which Chromium to drive, in the order above; throws when there is none. */
export function chooseChromium({ env, platform, arch, home, isExecutable }: ChromiumSearch): ChromiumChoice {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`CHROMIUM_PATH is ${explicit}, which is not an executable file: point it at a Chrome or Chromium executable, or unset it`);
    return { from: 'CHROMIUM_PATH', path: explicit };
  }
  const candidates =
    platform === 'darwin'
      ? ['/Applications', join(home, 'Applications')].flatMap((folder) => MAC_APPLICATIONS.map((app) => join(folder, app)))
      : [
          ...(env.PATH ?? '')
            .split(delimiter)
            .filter(Boolean)
            .flatMap((folder) => LINUX_NAMES.map((name) => join(folder, name))),
          ...LINUX_PATHS,
        ];
  const system = candidates.find(isExecutable);
  if (system) return { from: 'system', path: system };
  if (platform === 'linux' && arch === 'x64') return { from: 'npm package' };
  throw new Error(`no Chrome or Chromium found on this ${platform}/${arch} machine: install one, or set CHROMIUM_PATH to its executable (docs/local.md)`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The npm package's Chromium, unpacked on first use. Not the package's own `executablePath()`: that
 * unpacks into a fixed `/tmp/chromium`, which two test processes (or two checkouts) would write at the
 * same time; here each writer unpacks into a file of its own and renames it into place.
 */
async function npmPackageChromium(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const packageDir = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const folder = join(packageDir, '..', '..', '.cache', 'latchkey', `chromium-${version}`);
  const executable = join(folder, 'chromium');
  if (isExecutable(executable)) return executable;
  mkdirSync(folder, { recursive: true });
  const partial = `${executable}.${process.pid}.partial`;
  await pipeline(createReadStream(join(packageDir, 'bin', 'chromium.br')), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
  renameSync(partial, executable);
  return executable;
}

let executablePath: Promise<string> | undefined;

/** The executable `launchChromium` starts, found (and unpacked) once per process. */
function chromiumExecutable(): Promise<string> {
  executablePath ??= (async () => {
    const choice = chooseChromium({ env: process.env, platform: process.platform, arch: process.arch, home: homedir(), isExecutable });
    return choice.from === 'npm package' ? npmPackageChromium() : choice.path;
  })();
  return executablePath;
}

// What Chromium reaches on its own is refused on a closed network: no background connections, no
// component updates, no sync, no QUIC.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1100, height: 760 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: await chromiumExecutable(), headless: true, args: ARGS, viewport });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** axe-core's moderate, serious and critical findings on the page as it is now (WCAG 2.1 A and AA rules and best practices). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'moderate' || violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}
