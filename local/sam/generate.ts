import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../../lib/latchkey-stack';
import { operations } from '../../lib/routes';
import { REPOSITORY_ROOT } from '../runtime';
import { sampleEvents, type SampleEvent } from './events';
import { samLocalTemplate, synthesizedFunctions, type SamArchitecture } from './template';

export interface SamLocalFiles {
  readonly assemblyDir: string;
  readonly templateFile: string;
  // biome-ignore lint/suspicious/noExplicitAny: a synthesized CloudFormation template, read by path
  readonly template: any;
  readonly eventsDir: string;
  readonly events: readonly SampleEvent[];
}

/**
 * Synthesizes the CDK app in this process (cdk.json's context, as `cdk synth` would use) into
 * `<outDir>/assembly`, then writes `<outDir>/template.json` and `<outDir>/events/*.json`.
 * `bundle: false` skips esbuild: the template is complete but its code folders are empty.
 * `architecture` replaces the deployed functions' arm64 in the template (`x86_64` on x86 machines).
 */
export function generateSamLocal(outDir: string, options: { bundle: boolean; architecture?: SamArchitecture }): SamLocalFiles {
  const assemblyDir = join(outDir, 'assembly');
  rmSync(outDir, { recursive: true, force: true });
  const cdkJson = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const previousOutdir = process.env.CDK_OUTDIR;
  process.env.CDK_OUTDIR = assemblyDir;
  try {
    const { app } = buildApp({
      ...cdkJson.context,
      // Records each function's code folder in its metadata, as `cdk synth` does for SAM.
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    });
    app.synth();
  } finally {
    if (previousOutdir === undefined) delete process.env.CDK_OUTDIR;
    else process.env.CDK_OUTDIR = previousOutdir;
  }

  const template = samLocalTemplate(synthesizedFunctions(assemblyDir), operations, outDir, options.architecture ? { architecture: options.architecture } : {});
  const templateFile = join(outDir, 'template.json');
  writeFileSync(templateFile, `${JSON.stringify(template, null, 2)}\n`);

  const eventsDir = join(outDir, 'events');
  mkdirSync(eventsDir, { recursive: true });
  const events = sampleEvents(operations);
  for (const { file, event } of events) writeFileSync(join(eventsDir, file), `${JSON.stringify(event, null, 2)}\n`);
  return { assemblyDir, templateFile, template, eventsDir, events };
}
