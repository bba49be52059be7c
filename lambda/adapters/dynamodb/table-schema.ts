/**
 * The inventory table's key layout, shared by the DynamoDB adapter and the CDK stack so both agree.
 * Due certificates are found through a sparse GSI: only active items carry `dueShard`, so paused ones
 * never appear in the scheduled query.
 */
export const TABLE_KEYS = {
  partitionKey: 'id',
  dueIndexName: 'due',
  dueIndexPartitionKey: 'dueShard',
  dueIndexSortKey: 'nextCheckAt',
  /** The single value of `dueShard` for active items. */
  activeShard: 'active',
} as const;
