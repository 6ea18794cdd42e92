import type { CallRecord } from './aws-in-memory';

/**
 * What one token costs on AWS, from the calls it makes and the CPU it uses.
 *
 * List prices of us-east-1 (N. Virginia) as published on the AWS pricing pages of each service,
 * reviewed 2026-11-29; first pricing tier, no free tier, no savings plans. Re-check them before
 * quoting a figure: this table is the only place they live.
 */
export const PRICES = {
  region: 'us-east-1',
  reviewed: '2026-11-29',
  /** API Gateway HTTP API, per request (first 300 million a month: $1.00 per million). */
  apiGatewayHttpRequest: 1.0 / 1e6,
  /** Lambda, per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda on arm64, per GB-second (first 7.5 billion GB-s a month). */
  lambdaArmGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per read request unit (one strongly consistent read of up to 4 KB; $0.125 per million). */
  dynamoDbReadUnit: 0.125 / 1e6,
  /** DynamoDB on-demand, per write request unit (one write of up to 1 KB; $0.625 per million). */
  dynamoDbWriteUnit: 0.625 / 1e6,
  /** KMS, per symmetric request, e.g. Decrypt ($0.03 per 10,000). */
  kmsSymmetricRequest: 0.03 / 1e4,
  /** KMS, per asymmetric request other than RSA 2048, e.g. ECC Sign and GetPublicKey ($0.15 per 10,000). */
  kmsAsymmetricRequest: 0.15 / 1e4,
  /** KMS, per ECC GenerateDataKeyPair(WithoutPlaintext) request ($0.10 per 10,000). */
  kmsEccDataKeyPairRequest: 0.1 / 1e4,
  /** KMS, per RSA GenerateDataKeyPair(WithoutPlaintext) request ($12.00 per 10,000). */
  kmsRsaDataKeyPairRequest: 12.0 / 1e4,
  /** Secrets Manager, per API call ($0.05 per 10,000). */
  secretsManagerCall: 0.05 / 1e4,
  /** Amazon Cognito machine-to-machine token requests, the reference point: from $2.25 per 1,000. */
  cognitoM2mTokenRequest: 2.25 / 1e3,
} as const;

/**
 * Billed Lambda time is CPU plus the time spent waiting on AWS. These waits are assumptions (typical
 * in-region latencies), not measurements: the bench measures CPU only.
 */
export const ASSUMED_LATENCY_MS: Record<string, number> = { DynamoDB: 5, KMS: 15, SecretsManager: 10, Lambda: 20 };

/** The configured memory of every function (`lib/constructs/latchkey-function.ts`). */
export const LAMBDA_MEMORY_MB = 512;

export interface TokenCost {
  readonly perMillion: number;
  readonly byService: Record<string, number>;
  readonly billedMs: number;
}

/** Cost of one million tokens with these calls per token (averaged) and this CPU per token. */
export function costPerMillion(calls: ReadonlyMap<string, CallRecord>, tokens: number, cpuMs: number): TokenCost {
  const byService: Record<string, number> = { 'API Gateway': PRICES.apiGatewayHttpRequest, Lambda: PRICES.lambdaRequest, DynamoDB: 0, KMS: 0, 'Secrets Manager': 0 };
  let waitMs = 0;
  for (const [operation, record] of calls) {
    const [service = '', name = ''] = operation.split('.');
    const perToken = record.count / tokens;
    waitMs += perToken * (ASSUMED_LATENCY_MS[service] ?? 10);
    if (service === 'DynamoDB') byService.DynamoDB! += dynamoDbCost(name, record) / tokens;
    else if (service === 'KMS') byService.KMS! += perToken * kmsPrice(name);
    else if (service === 'SecretsManager') byService['Secrets Manager']! += perToken * PRICES.secretsManagerCall;
  }
  // Lambda bills whole milliseconds.
  const billedMs = Math.ceil(cpuMs + waitMs);
  byService.Lambda! += (billedMs / 1000) * (LAMBDA_MEMORY_MB / 1024) * PRICES.lambdaArmGbSecond;
  const perToken = Object.values(byService).reduce((a, b) => a + b, 0);
  return { perMillion: perToken * 1e6, byService: Object.fromEntries(Object.entries(byService).map(([k, v]) => [k, v * 1e6])), billedMs };
}

// Request units from the sizes seen on the wire (the JSON is a little larger than DynamoDB's item
// size, so this errs high): reads per 4 KB returned, half price when eventually consistent; writes
// per 1 KB sent, at least one each.
function dynamoDbCost(operation: string, record: CallRecord): number {
  if (/^(Get|Query|Scan|BatchGet)/.test(operation)) {
    const units = Math.max(record.count, Math.ceil(record.responseBytes / 4096));
    const eventual = record.count - record.consistentReads;
    return units * PRICES.dynamoDbReadUnit * (1 - (0.5 * eventual) / record.count);
  }
  return Math.max(record.count, Math.ceil(record.requestBytes / 1024)) * PRICES.dynamoDbWriteUnit;
}

function kmsPrice(operation: string): number {
  if (operation === 'Decrypt' || operation === 'Encrypt' || operation === 'GenerateDataKey') return PRICES.kmsSymmetricRequest;
  // The rotation makes one ECC and one RSA pair per generation; per token it is negligible either way.
  if (operation.startsWith('GenerateDataKeyPair')) return PRICES.kmsRsaDataKeyPairRequest;
  return PRICES.kmsAsymmetricRequest;
}
