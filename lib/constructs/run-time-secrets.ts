import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { asNagShowsIt } from './grant-access';
import { latchkeyFunctionCode } from './latchkey-function';

export interface RunTimeSecretsCleanupProps {
  readonly stage: string;
  /** `latchkey/<stage>/`: every secret Latchkey creates at run time is named under it. */
  readonly prefix: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * Deletes, with the stack, the secrets Latchkey's functions created at run time under
 * `latchkey/<stage>/` (enrichment webhook secrets, ...), which CloudFormation never knew about and so
 * would leave behind. Only in stages that keep no state: where the table is retained, so are they,
 * since the records in the table name them.
 *
 * A Lambda-backed custom resource that acts on Delete only (lib/custom-resources/delete-run-time-secrets.ts).
 * Everything that can create such a secret must depend on it, so that CloudFormation deletes it last.
 */
export class RunTimeSecretsCleanup extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: RunTimeSecretsCleanupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Latchkey ${props.stage}: deletes run-time secrets with the stack`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
    const secretsArn = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${props.prefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // Only secrets CloudFormation does not manage (it tags its own): the pepper stays out of reach.
    role.addToPolicy(
      new PolicyStatement({ actions: ['secretsmanager:DeleteSecret'], resources: [secretsArn], conditions: { Null: { 'aws:ResourceTag/aws:cloudformation:stack-id': 'true' } } }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'secretsmanager:ListSecrets supports no resource-level permission; it reveals names and tags only, and DeleteSecret is limited to the stage prefix.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${asNagShowsIt(stack, secretsArn)}]`,
      reason: 'The secrets to delete are created at run time with names unknown at deploy time; the wildcard is limited to the stage prefix latchkey/<stage>/.',
    });

    const fn = new NodejsFunction(this, 'Function', {
      ...latchkeyFunctionCode('lib/custom-resources/delete-run-time-secrets.ts'),
      memorySize: 256,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      description: `Latchkey ${props.stage}: deletes the secrets under ${props.prefix} when the stack is deleted`,
      environment: { LATCHKEY_SECRET_PREFIX: props.prefix },
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::LatchkeyRunTimeSecrets',
      properties: { Prefix: props.prefix },
    });
  }
}
