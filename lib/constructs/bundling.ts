import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every Latchkey function is bundled. The CDK stack hands these to `NodejsFunction` and the
 * bundle-size test and the benchmark hand them to esbuild directly, so the sizes they check are the
 * sizes that deploy.
 */

/** The Node.js major version of the Lambda runtime (see `LATCHKEY_RUNTIME`). */
export const NODE_MAJOR = 24;

/** A function bundle may not grow past this (minified, AWS SDK clients included). */
export const BUNDLE_BUDGET_BYTES = 1024 * 1024;

export const BUNDLING = {
  minify: true,
  // The source map ships next to the bundle (without the sources, which only grow the package) for
  // reading a minified stack trace offline. It is not enabled at run time: Node would parse it at
  // every cold start (about +20 ms on the token function, measured with `npm run bench`).
  sourceMap: true,
  sourcesContent: false,
  target: `node${NODE_MAJOR}`,
  // CommonJS output imports faster than ES modules here: one function wrapper per module, evaluated
  // on first `require`, against ESM's link-then-evaluate of the whole graph (see `npm run bench`).
  format: 'cjs',
  // Prefer the ES module builds of dependencies, the AWS SDK's included: they tree-shake, so only
  // the commands a function sends are bundled.
  mainFields: ['module', 'main'],
  // Nothing is external: the AWS SDK clients are bundled at the version package-lock.json pins,
  // not whichever version the Lambda runtime happens to ship, and load from one file.
  externalModules: [] as string[],
} as const;

/** The options as `NodejsFunction` takes them. */
export function nodejsBundling(): BundlingOptions {
  return {
    minify: BUNDLING.minify,
    sourceMap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    target: BUNDLING.target,
    format: OutputFormat.CJS,
    mainFields: [...BUNDLING.mainFields],
    externalModules: [...BUNDLING.externalModules],
  };
}

/**
 * The same options as esbuild's `build` takes them, for one or many entries (tests and the
 * benchmark). Many entries in one call share esbuild's parsing, and each still gets a bundle of its
 * own (no code splitting), byte for byte what `NodejsFunction` builds from the same options.
 */
export function esbuildOptions(entries: Record<string, string>, outdir: string) {
  return {
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node' as const,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.externalModules],
    metafile: true,
    logLevel: 'error' as const,
  };
}
