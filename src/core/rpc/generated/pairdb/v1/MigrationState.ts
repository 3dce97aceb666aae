// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const MigrationState = {
  MIGRATION_STATE_UNSPECIFIED: 'MIGRATION_STATE_UNSPECIFIED',
  MIGRATION_PENDING: 'MIGRATION_PENDING',
  MIGRATION_IN_PROGRESS: 'MIGRATION_IN_PROGRESS',
  MIGRATION_COMPLETED: 'MIGRATION_COMPLETED',
  MIGRATION_FAILED: 'MIGRATION_FAILED',
  MIGRATION_CANCELLED: 'MIGRATION_CANCELLED',
} as const;

export type MigrationState =
  | 'MIGRATION_STATE_UNSPECIFIED'
  | 0
  | 'MIGRATION_PENDING'
  | 1
  | 'MIGRATION_IN_PROGRESS'
  | 2
  | 'MIGRATION_COMPLETED'
  | 3
  | 'MIGRATION_FAILED'
  | 4
  | 'MIGRATION_CANCELLED'
  | 5

export type MigrationState__Output = typeof MigrationState[keyof typeof MigrationState]
