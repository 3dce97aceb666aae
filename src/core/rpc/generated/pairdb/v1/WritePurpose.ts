// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const WritePurpose = {
  WRITE_PURPOSE_UNSPECIFIED: 'WRITE_PURPOSE_UNSPECIFIED',
  PURPOSE_CLIENT: 'PURPOSE_CLIENT',
  PURPOSE_HINT: 'PURPOSE_HINT',
  PURPOSE_READ_REPAIR: 'PURPOSE_READ_REPAIR',
  PURPOSE_REPAIR: 'PURPOSE_REPAIR',
  PURPOSE_STREAM: 'PURPOSE_STREAM',
} as const;

export type WritePurpose =
  | 'WRITE_PURPOSE_UNSPECIFIED'
  | 0
  | 'PURPOSE_CLIENT'
  | 1
  | 'PURPOSE_HINT'
  | 2
  | 'PURPOSE_READ_REPAIR'
  | 3
  | 'PURPOSE_REPAIR'
  | 4
  | 'PURPOSE_STREAM'
  | 5

export type WritePurpose__Output = typeof WritePurpose[keyof typeof WritePurpose]
