import { Stack, type StackProps } from 'aws-cdk-lib';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/**
 * Rules of AWS's common rule set that Latchkey's own traffic trips, counted instead of blocked:
 * OAuth requests carry URLs in their query and body (`redirect_uri`, `post_logout_redirect_uri`, a
 * native app's `http://127.0.0.1:<port>/` among them), authorization requests can pass 2 KB of query
 * string, SAML bodies exceed 8 KB, and machine clients often send no User-Agent.
 */
export const COUNTED_COMMON_RULES = [
  'GenericRFI_QUERYARGUMENTS',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_QUERYARGUMENTS',
  'EC2MetaDataSSRF_BODY',
  'SizeRestrictions_QUERYSTRING',
  'SizeRestrictions_BODY',
  'NoUserAgent_HEADER',
] as const;

export interface ApiWebAclProps {
  readonly stage: string;
  /** Requests one client IP may make in any five minutes before it is blocked. */
  readonly rateLimitPer5Minutes: number;
}

/**
 * The web ACL in front of the API (CLOUDFRONT scope, so it must be made in us-east-1): a rate-based
 * rule per client IP, then AWS's managed rule groups for IP reputation, known bad inputs and common
 * attacks (with the rules OAuth trips only counted).
 */
export class ApiWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `latchkey-${props.stage}-${metricName}` });
    const managed = (name: string, priority: number, countedRules: readonly string[] = []) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(countedRules.length > 0 ? { ruleActionOverrides: countedRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `latchkey-${props.stage}-api`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('api'),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-per-ip'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        managed('AWSManagedRulesCommonRuleSet', 3, COUNTED_COMMON_RULES),
      ],
    });
  }
}

/** The web ACL in a stack of its own in us-east-1, for a deployment in another region. */
export class ApiWebAclStack extends Stack {
  readonly acl: ApiWebAcl;

  constructor(scope: Construct, id: string, props: StackProps & ApiWebAclProps) {
    super(scope, id, props);
    this.acl = new ApiWebAcl(this, 'Api', props);
  }
}
