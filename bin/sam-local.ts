/**
 * `npm run sam-local`: writes what `sam local` needs to run Latchkey's functions against the local
 * stand-ins instead of AWS: `cdk.out/sam-local/template.json` (every function, declaring every
 * variable the env file sets) and one sample event per route in `cdk.out/sam-local/events/`. The
 * env file itself, `sam-env.json`, comes from `npm start -- --sam --unsafe-stand-ins-host 0.0.0.0`,
 * which knows the stand-ins' ports and the local key ARNs. `--architecture x86_64` (or `host`) writes
 * the template for x86 machines instead of the deployed arm64. See docs/local.md.
 */
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPOSITORY_ROOT } from '../local/runtime';
import { generateSamLocal } from '../local/sam/generate';
import { hostArchitecture, type SamArchitecture } from '../local/sam/template';

const { values } = parseArgs({
  options: {
    'skip-bundling': { type: 'boolean', default: false },
    out: { type: 'string', default: join(REPOSITORY_ROOT, 'cdk.out', 'sam-local') },
    // arm64 as deployed (the default), x86_64, or host: this machine's, so Docker needs no emulation.
    architecture: { type: 'string', default: 'arm64' },
  },
  strict: true,
});
const architecture: SamArchitecture | undefined = values.architecture === 'host' ? hostArchitecture() : (values.architecture as SamArchitecture);
if (architecture !== 'arm64' && architecture !== 'x86_64') {
  console.error(`npm run sam-local: --architecture must be arm64, x86_64 or host, not "${values.architecture}"`);
  process.exit(1);
}
const started = Date.now();
console.log(values['skip-bundling'] ? 'Synthesizing the CDK app (no bundling)...' : 'Synthesizing and bundling the CDK app (esbuild, one bundle per function)...');
const files = generateSamLocal(values.out!, { bundle: !values['skip-bundling'], architecture });
const show = (path: string) => relative(process.cwd(), path) || '.';
const functionCount = Object.keys(files.template.Resources).length;

console.log(`
Done in ${((Date.now() - started) / 1000).toFixed(0)} s.
  template  ${show(files.templateFile)}  (${functionCount} functions, ${architecture})
  events    ${show(files.eventsDir)}/  (${files.events.length}, one per route)

Next (docs/local.md):
  npm start -- --sam --unsafe-stand-ins-host 0.0.0.0     # writes sam-env.json
  sam local start-api -t ${show(files.templateFile)} --env-vars sam-env.json
  sam local invoke GetOpenidConfiguration -t ${show(files.templateFile)} --env-vars sam-env.json -e ${show(files.eventsDir)}/get-openid-configuration.json
`);
