// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const NodeState = {
  NODE_STATE_UNSPECIFIED: 'NODE_STATE_UNSPECIFIED',
  NODE_STATE_BOOTSTRAPPING: 'NODE_STATE_BOOTSTRAPPING',
  NODE_STATE_NORMAL: 'NODE_STATE_NORMAL',
  NODE_STATE_LEAVING: 'NODE_STATE_LEAVING',
  NODE_STATE_REMOVED: 'NODE_STATE_REMOVED',
  NODE_STATE_FAILED: 'NODE_STATE_FAILED',
} as const;

export type NodeState =
  | 'NODE_STATE_UNSPECIFIED'
  | 0
  | 'NODE_STATE_BOOTSTRAPPING'
  | 1
  | 'NODE_STATE_NORMAL'
  | 2
  | 'NODE_STATE_LEAVING'
  | 3
  | 'NODE_STATE_REMOVED'
  | 4
  | 'NODE_STATE_FAILED'
  | 5

export type NodeState__Output = typeof NodeState[keyof typeof NodeState]
