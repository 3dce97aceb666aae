// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const WriteOutcome = {
  WRITE_OUTCOME_UNSPECIFIED: 'WRITE_OUTCOME_UNSPECIFIED',
  OUTCOME_APPLIED: 'OUTCOME_APPLIED',
  OUTCOME_DOMINATED: 'OUTCOME_DOMINATED',
  OUTCOME_DUPLICATE: 'OUTCOME_DUPLICATE',
} as const;

export type WriteOutcome =
  | 'WRITE_OUTCOME_UNSPECIFIED'
  | 0
  | 'OUTCOME_APPLIED'
  | 1
  | 'OUTCOME_DOMINATED'
  | 2
  | 'OUTCOME_DUPLICATE'
  | 3

export type WriteOutcome__Output = typeof WriteOutcome[keyof typeof WriteOutcome]
