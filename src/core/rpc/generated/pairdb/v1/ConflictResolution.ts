// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const ConflictResolution = {
  CONFLICT_RESOLUTION_UNSPECIFIED: 'CONFLICT_RESOLUTION_UNSPECIFIED',
  CONFLICT_RESOLUTION_LWW: 'CONFLICT_RESOLUTION_LWW',
  CONFLICT_RESOLUTION_SIBLINGS: 'CONFLICT_RESOLUTION_SIBLINGS',
} as const;

export type ConflictResolution =
  | 'CONFLICT_RESOLUTION_UNSPECIFIED'
  | 0
  | 'CONFLICT_RESOLUTION_LWW'
  | 1
  | 'CONFLICT_RESOLUTION_SIBLINGS'
  | 2

export type ConflictResolution__Output = typeof ConflictResolution[keyof typeof ConflictResolution]
