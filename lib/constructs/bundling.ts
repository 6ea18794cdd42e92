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
  // Prefer ESM builds of dependencies; some still `require` Node built-ins, hence the banner.
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // The Lambda runtime ships the AWS SDK v3; bundling it would only grow every function.
  externalModules: ['@aws-sdk/*'],
} as const;
