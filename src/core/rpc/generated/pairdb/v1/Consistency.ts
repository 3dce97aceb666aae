// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const Consistency = {
  CONSISTENCY_UNSPECIFIED: 'CONSISTENCY_UNSPECIFIED',
  CONSISTENCY_ONE: 'CONSISTENCY_ONE',
  CONSISTENCY_QUORUM: 'CONSISTENCY_QUORUM',
  CONSISTENCY_ALL: 'CONSISTENCY_ALL',
} as const;

export type Consistency =
  | 'CONSISTENCY_UNSPECIFIED'
  | 0
  | 'CONSISTENCY_ONE'
  | 1
  | 'CONSISTENCY_QUORUM'
  | 2
  | 'CONSISTENCY_ALL'
  | 3

export type Consistency__Output = typeof Consistency[keyof typeof Consistency]
