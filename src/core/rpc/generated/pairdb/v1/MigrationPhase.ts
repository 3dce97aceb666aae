// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const MigrationPhase = {
  MIGRATION_PHASE_UNSPECIFIED: 'MIGRATION_PHASE_UNSPECIFIED',
  PHASE_PREPARE: 'PHASE_PREPARE',
  PHASE_STREAMING: 'PHASE_STREAMING',
  PHASE_HANDOVER_WRITE: 'PHASE_HANDOVER_WRITE',
  PHASE_HINT_REPLAY: 'PHASE_HINT_REPLAY',
  PHASE_HANDOVER_READ: 'PHASE_HANDOVER_READ',
  PHASE_DONE: 'PHASE_DONE',
} as const;

export type MigrationPhase =
  | 'MIGRATION_PHASE_UNSPECIFIED'
  | 0
  | 'PHASE_PREPARE'
  | 1
  | 'PHASE_STREAMING'
  | 2
  | 'PHASE_HANDOVER_WRITE'
  | 3
  | 'PHASE_HINT_REPLAY'
  | 4
  | 'PHASE_HANDOVER_READ'
  | 5
  | 'PHASE_DONE'
  | 6

export type MigrationPhase__Output = typeof MigrationPhase[keyof typeof MigrationPhase]
