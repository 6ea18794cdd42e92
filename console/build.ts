import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions, type Metafile } from 'esbuild';

/**
 * Builds the console into a static bundle: `index.html`, one JS and one CSS file whose names carry a
 * content hash (so CloudFront and browsers may cache them for good while `index.html` is revalidated).
 * Everything the page needs is in these files: no CDN, no inline script or style, so the strict CSP holds.
 */

const CONSOLE_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

export interface ConsoleBundle {
  readonly dir: string;
  /** File name → size in bytes. */
  readonly files: Readonly<Record<string, number>>;
}

function options(outdir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: { app: join(CONSOLE_DIR, 'src/main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

/** Writes `index.html` naming the hashed files; answers the bundle's files and sizes. */
function finish(outdir: string, metafile: Metafile): ConsoleBundle {
  const outputs = Object.keys(metafile.outputs).map((file) => basename(file));
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style) throw new Error(`the console build made ${outputs.join(', ')}, not one JS and one CSS file`);
  const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8').replace('href="app.css"', `href="${style}"`).replace('src="app.js"', `src="${script}"`);
  writeFileSync(join(outdir, 'index.html'), html);
  const files = Object.fromEntries(['index.html', script, style].map((file) => [file, readFileSync(join(outdir, file)).length]));
  return { dir: outdir, files };
}

/** Builds into `outdir`, replacing it at once (a reader never sees half a bundle). */
export async function buildConsole(outdir: string = DEFAULT_CONSOLE_DIST): Promise<ConsoleBundle> {
  const target = resolve(outdir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}-`));
  const { files } = finish(staging, (await build(options(staging))).metafile);
  rmSync(target, { recursive: true, force: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another process built the same bundle at the same moment: theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'index.html'))) throw error;
  }
  return { dir: target, files };
}

/** The same build, synchronously into an empty folder: CDK's local asset bundling cannot wait. */
export function buildConsoleSync(outdir: string): ConsoleBundle {
  return finish(outdir, buildSync(options(outdir)).metafile);
}

/**
 * Builds the bundle unless `outdir` holds one at least as new as every source of the console, so
 * that `npm start` after a change to `console/` serves the change, not the bundle of an older checkout.
 */
export async function ensureConsoleBuilt(outdir: string = DEFAULT_CONSOLE_DIST): Promise<string> {
  const page = join(outdir, 'index.html');
  if (!existsSync(page) || statSync(page).mtimeMs < newestSourceChange()) await buildConsole(outdir);
  return outdir;
}

/** When a source of the console last changed: a file's content, or a folder's list of files. */
function newestSourceChange(): number {
  const sources = join(CONSOLE_DIR, 'src');
  const paths = [join(CONSOLE_DIR, 'index.html'), sources, ...readdirSync(sources, { recursive: true }).map((name) => join(sources, String(name)))];
  return Math.max(...paths.map((path) => statSync(path).mtimeMs));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundle = await buildConsole(process.argv[2] ?? DEFAULT_CONSOLE_DIST);
  for (const [file, size] of Object.entries(bundle.files)) console.log(`${file}\t${(size / 1024).toFixed(1)} KiB`);
}
