import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface TableBackupProps {
  readonly stage: string;
  readonly table: ITable;
  /** Days each daily recovery point is kept. */
  readonly retentionDays: number;
}

/**
 * An AWS Backup plan for the table (context `backup=true`): a recovery point every day at 03:00 UTC in
 * a vault of its own, kept `retentionDays`. Point-in-time recovery (always on) covers the last 35 days
 * to the second; the plan keeps copies longer and outside the table's own lifecycle: a deleted table's
 * recovery points stay in the vault. The selection's role may also restore, so a restore needs no
 * IAM change first (docs/operations.md, "Restoring the table").
 *
 * The vault is always retained: CloudFormation cannot delete a vault that holds recovery points, and
 * backups that vanish with the stack would defeat their purpose.
 */
export class TableBackup extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, props: TableBackupProps) {
    super(scope, id);
    this.vault = new BackupVault(this, 'Vault', { backupVaultName: `latchkey-${props.stage}`, removalPolicy: RemovalPolicy.RETAIN });
    this.plan = new BackupPlan(this, 'Plan', {
      backupPlanName: `latchkey-${props.stage}-table`,
      backupVault: this.vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'daily',
          scheduleExpression: Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(props.retentionDays),
        }),
      ],
    });
    const selection = this.plan.addSelection('Table', { resources: [BackupResource.fromDynamoDbTable(props.table)], allowRestores: true });
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores']) {
      Validations.of(selection).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason: `AWS Backup assumes this role only for this plan's selection (the table); ${policy} is the service's own policy for it, kept current by AWS.`,
      });
    }
  }
}
