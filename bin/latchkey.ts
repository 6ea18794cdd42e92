/**
 * The CDK app (`cdk.json` runs it with tsx). Everything, context parsing included, lives in
 * `lib/latchkey-stack.ts` so tests build the same app in-process.
 */
import { buildApp } from '../lib/latchkey-stack';

buildApp();
