import { localTargetsAllowed } from '../config';
import { InvalidRequest } from './errors';
import { outboundUrlProblem, type OutboundPolicy } from './outbound-policy';

/**
 * Where an enrichment webhook may point. Rules:
 * - An `https://` URL that the outbound policy accepts (src/domain/outbound-policy.ts): in a
 *   deployed stage no `localhost`, no private, loopback, link-local or reserved IP literal, in any
 *   spelling; plain `http://` only to this machine, and only in the local runtime. No credentials or
 *   fragment in the URL. Where the host name resolves to is checked again on every call.
 * - Or the ARN of a Lambda function (optionally qualified), which Latchkey invokes directly; the
 *   stack grants `lambda:InvokeFunction` only on its own webhook and the ARNs its context lists.
 */

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

export function isLambdaArn(target: string): boolean {
  return LAMBDA_ARN.test(target);
}

/** A public HTTPS URL (plain HTTP to this machine in the local runtime), or a Lambda function ARN. */
export function checkWebhookTarget(target: string, policy: OutboundPolicy = { allowLocalTargets: localTargetsAllowed() }, path = 'webhook'): void {
  if (target.length > 2048) throw invalid(`${path}.target`, 'must be at most 2048 characters');
  if (target.startsWith('arn:')) {
    if (!isLambdaArn(target)) throw invalid(`${path}.target`, 'is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)');
    return;
  }
  const problem = outboundUrlProblem(target, policy);
  if (problem) throw invalid(`${path}.target`, problem);
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}
