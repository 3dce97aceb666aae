// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const ServingState = {
  SERVING_STATE_UNSPECIFIED: 'SERVING_STATE_UNSPECIFIED',
  STATE_SERVING: 'STATE_SERVING',
  STATE_DEGRADED: 'STATE_DEGRADED',
  STATE_NOT_SERVING: 'STATE_NOT_SERVING',
} as const;

export type ServingState =
  | 'SERVING_STATE_UNSPECIFIED'
  | 0
  | 'STATE_SERVING'
  | 1
  | 'STATE_DEGRADED'
  | 2
  | 'STATE_NOT_SERVING'
  | 3

export type ServingState__Output = typeof ServingState[keyof typeof ServingState]
