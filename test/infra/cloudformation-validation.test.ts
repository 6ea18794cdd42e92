import { CloudFormationValidatePlugin, Stack, Stage, Token } from 'aws-cdk-lib';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStack, OPERATOR_CONTROLS, PROD_WITH_MTLS, type Built } from './build-stack';

/**
 * The CloudFormation validation aws-cdk-lib runs in `cdk synth` (resource schemas and its rule
 * set). In `cdk synth` an error fails synthesis (cdk.json sets validateAgainstDefaultRules) and a
 * warning is only printed; test builds leave it out (see build-stack.ts). Here it runs once, on every
 * template, the nested stacks' included (which synthesis does not give it), and any finding fails.
 */
function findings(...builds: Built[]): string[] {
  const stackTemplates = builds.flatMap((built) => {
    const directory = Stage.of(built.stack)!.synth().directory;
    const known = (value: string) => (Token.isUnresolved(value) ? undefined : value);
    // The app's other top-level stacks too (apiWaf's web ACL stack in us-east-1).
    const others = built.stack.node.root.node.children.filter((child): child is Stack => Stack.isStack(child) && child !== built.stack);
    return [...built.stacks.map(({ stack }) => stack), ...others].map((stack) => ({
      stackConstructPath: stack.node.path,
      templatePath: path.join(directory, stack.templateFile),
      accountId: known(stack.account),
      region: known(stack.region),
    }));
  });
  const report = new CloudFormationValidatePlugin().validate({
    templatePaths: stackTemplates.map((s) => s.templatePath),
    stackTemplates,
    // Only plugins that walk the construct tree (cdk-nag) read the app.
    appConstruct: builds[0]!.stack.node.root,
  });
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} in ${path.basename(r.templatePath ?? '')} ${r.resourceLogicalId ?? ''}: ${v.description}`),
  );
}

describe('the CloudFormation validation of cdk synth', () => {
  it('finds nothing in any template of the default app, or of prod on a custom domain with mutual TLS', () => {
    expect(findings(buildStack(), buildStack(PROD_WITH_MTLS))).toEqual([]);
  });

  it('finds nothing in the templates of every operator control turned on (concurrency, backup plan, canary, cleanup of run-time secrets, CloudFront with WAF)', () => {
    expect(findings(buildStack(...OPERATOR_CONTROLS))).toEqual([]);
  });
});
