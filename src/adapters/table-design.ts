/**
 * The shape of Latchkey's one DynamoDB table, shared by the CDK stack and the local runtime so the
 * two can never disagree. Items use generic keys (`pk`, `sk`) and one generic index (`gsi1`); the
 * record types and their key patterns are listed in `src/adapters/dynamodb-store.ts`.
 */
export const TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds. DynamoDB deletes expired items up to days late, so readers check it too. */
  timeToLiveAttribute: 'expiresAt',
  indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
} as const;
