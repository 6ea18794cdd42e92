/**
 * How every Latchkey function is bundled. The CDK stack hands these to `NodejsFunction` and the
 * benchmark hands them to esbuild directly, so the sizes `npm run bench` reports are the sizes
 * that deploy.
 */

/** The Node.js major version of the Lambda runtime (see `LATCHKEY_RUNTIME`). */
export const NODE_MAJOR = 24;

export const BUNDLING = {
  minify: true,
  sourceMap: true,
  target: `node${NODE_MAJOR}`,
  // CommonJS output: the AWS SDK, left external, then loads through `require` from its one-file
  // CommonJS build, which imports two to three times faster than its many-file ES module build.
  format: 'cjs',
  // Prefer the ES module builds of bundled dependencies: they tree-shake.
  mainFields: ['module', 'main'],
  // The Lambda runtime ships the AWS SDK v3; bundling it would only grow every function.
  externalModules: ['@aws-sdk/*'],
} as const;
