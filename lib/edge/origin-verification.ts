import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AuthorizerPayloadVersion, HttpAuthorizer, HttpAuthorizerType, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { latchkeyFunctionCode } from '../constructs/latchkey-function';
import { ORIGIN_HEADER } from './origin-header';

export interface OriginVerificationProps {
  readonly stage: string;
  readonly retain: boolean;
  readonly httpApi: IHttpApi;
  readonly logRetention?: RetentionDays;
}

/**
 * What makes the HTTP API answer only requests that came through its CloudFront distribution
 * (context `apiWaf=true`): a generated secret that CloudFront sends as an origin header, and a
 * Lambda authorizer on every route that refuses requests without it. HTTP APIs take no WAF and no
 * resource policy, so this is the one check API Gateway can make before a route's function runs.
 */
export class OriginVerification extends Construct {
  readonly secret: Secret;
  readonly authorizer: HttpAuthorizer;

  constructor(scope: Construct, id: string, props: OriginVerificationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.secret = new Secret(this, 'Secret', {
      secretName: `latchkey/${props.stage}/origin-verify`,
      description: 'Latchkey: the header value CloudFront sends to the API, which refuses requests without it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFront reads the value at deploy time, so a rotation is a deploy: put a new value, then deploy (the authorizer accepts the current and the previous value meanwhile); docs/operations.md.',
    });

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy });
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `Latchkey ${props.stage}: the API's origin check` });
    logGroup.grantWrite(role);
    role.addToPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }));
    const fn = new NodejsFunction(this, 'Function', {
      ...latchkeyFunctionCode('lib/edge/verify-origin.ts'),
      memorySize: 256,
      timeout: Duration.seconds(5),
      role,
      logGroup,
      description: `Latchkey ${props.stage}: refuses API requests that did not come through CloudFront`,
      environment: { LATCHKEY_ORIGIN_SECRET_ID: this.secret.secretArn },
    });

    this.authorizer = new HttpAuthorizer(this, 'Authorizer', {
      httpApi: props.httpApi,
      authorizerName: 'origin-verify',
      type: HttpAuthorizerType.LAMBDA,
      // A request without the header is refused by API Gateway without invoking the function.
      identitySource: [`$request.header.${ORIGIN_HEADER}`],
      authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`,
      payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
      enableSimpleResponses: true,
      resultsCacheTtl: Duration.hours(1),
    });
    fn.addPermission('ApiGatewayInvoke', {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: stack.formatArn({ service: 'execute-api', resource: props.httpApi.apiId, resourceName: `authorizers/${this.authorizer.authorizerId}` }),
    });
  }
}
