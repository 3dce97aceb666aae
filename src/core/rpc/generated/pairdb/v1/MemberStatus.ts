// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

export const MemberStatus = {
  MEMBER_STATUS_UNSPECIFIED: 'MEMBER_STATUS_UNSPECIFIED',
  MEMBER_ALIVE: 'MEMBER_ALIVE',
  MEMBER_SUSPECT: 'MEMBER_SUSPECT',
  MEMBER_DOWN: 'MEMBER_DOWN',
  MEMBER_LEFT: 'MEMBER_LEFT',
} as const;

export type MemberStatus =
  | 'MEMBER_STATUS_UNSPECIFIED'
  | 0
  | 'MEMBER_ALIVE'
  | 1
  | 'MEMBER_SUSPECT'
  | 2
  | 'MEMBER_DOWN'
  | 3
  | 'MEMBER_LEFT'
  | 4

export type MemberStatus__Output = typeof MemberStatus[keyof typeof MemberStatus]
