// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const MigrationType = {
  MIGRATION_TYPE_UNSPECIFIED: 'MIGRATION_TYPE_UNSPECIFIED',
  NODE_ADDITION: 'NODE_ADDITION',
  NODE_REMOVAL: 'NODE_REMOVAL',
  REPLICATION_CHANGE: 'REPLICATION_CHANGE',
} as const;

export type MigrationType =
  | 'MIGRATION_TYPE_UNSPECIFIED'
  | 0
  | 'NODE_ADDITION'
  | 1
  | 'NODE_REMOVAL'
  | 2
  | 'REPLICATION_CHANGE'
  | 3

export type MigrationType__Output = typeof MigrationType[keyof typeof MigrationType]
