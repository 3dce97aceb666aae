// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const Liveness = {
  LIVENESS_UNSPECIFIED: 'LIVENESS_UNSPECIFIED',
  LIVENESS_ALIVE: 'LIVENESS_ALIVE',
  LIVENESS_SUSPECT: 'LIVENESS_SUSPECT',
  LIVENESS_DOWN: 'LIVENESS_DOWN',
} as const;

export type Liveness =
  | 'LIVENESS_UNSPECIFIED'
  | 0
  | 'LIVENESS_ALIVE'
  | 1
  | 'LIVENESS_SUSPECT'
  | 2
  | 'LIVENESS_DOWN'
  | 3

export type Liveness__Output = typeof Liveness[keyof typeof Liveness]
