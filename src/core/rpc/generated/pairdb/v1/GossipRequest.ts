// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { MemberState as _pairdb_v1_MemberState, MemberState__Output as _pairdb_v1_MemberState__Output } from '../../pairdb/v1/MemberState.js';
import type { RingMember as _pairdb_v1_RingMember, RingMember__Output as _pairdb_v1_RingMember__Output } from '../../pairdb/v1/RingMember.js';
import type { Long } from '@grpc/proto-loader';

export interface GossipRequest {
  'sender_id'?: (string);
  'observer'?: (boolean);
  'members'?: (_pairdb_v1_MemberState)[];
  'fence_epoch'?: (number | string | Long);
  'ring'?: (_pairdb_v1_RingMember)[];
  'ring_epoch'?: (number | string | Long);
}

export interface GossipRequest__Output {
  'sender_id': (string);
  'observer': (boolean);
  'members': (_pairdb_v1_MemberState__Output)[];
  'fence_epoch': (string);
  'ring': (_pairdb_v1_RingMember__Output)[];
  'ring_epoch': (string);
}
