// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const RepairState = {
  REPAIR_STATE_UNSPECIFIED: 'REPAIR_STATE_UNSPECIFIED',
  REPAIR_RUNNING: 'REPAIR_RUNNING',
  REPAIR_COMPLETED: 'REPAIR_COMPLETED',
  REPAIR_FAILED: 'REPAIR_FAILED',
  REPAIR_ABORTED: 'REPAIR_ABORTED',
} as const;

export type RepairState =
  | 'REPAIR_STATE_UNSPECIFIED'
  | 0
  | 'REPAIR_RUNNING'
  | 1
  | 'REPAIR_COMPLETED'
  | 2
  | 'REPAIR_FAILED'
  | 3
  | 'REPAIR_ABORTED'
  | 4

export type RepairState__Output = typeof RepairState[keyof typeof RepairState]
