import { InvalidRequest } from './errors';

/**
 * Where an enrichment webhook may point (DA-7). Rules:
 * - `https://` to any host; plain `http://` only to this machine (`localhost`, `127.0.0.1`, `[::1]`),
 *   for development; no credentials or fragment in the URL.
 * - Or the ARN of a Lambda function (optionally qualified), which Latchkey invokes directly; the
 *   stack grants `lambda:InvokeFunction` only on its own webhook and the ARNs its context lists.
 */

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLambdaArn(target: string): boolean {
  return LAMBDA_ARN.test(target);
}

/** HTTPS anywhere; plain HTTP only to this machine, for development; or a Lambda function ARN. */
export function checkWebhookTarget(target: string): void {
  if (target.length > 2048) throw invalid('webhook.target', 'must be at most 2048 characters');
  if (target.startsWith('arn:')) {
    if (!isLambdaArn(target)) throw invalid('webhook.target', 'is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)');
    return;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw invalid('webhook.target', 'must be an https:// URL or a Lambda function ARN');
  }
  if (url.username || url.password) throw invalid('webhook.target', 'must not carry credentials in the URL');
  if (url.hash) throw invalid('webhook.target', 'must not have a fragment');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return;
  throw invalid('webhook.target', 'must use https:// (plain http:// is allowed only for localhost, 127.0.0.1 and [::1])');
}

function invalid(path: string, message: string): InvalidRequest {
  return new InvalidRequest(`${path} ${message}`, { fields: [{ path, message }] });
}
