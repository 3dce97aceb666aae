// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { MemberState as _pairdb_v1_MemberState, MemberState__Output as _pairdb_v1_MemberState__Output } from '../../pairdb/v1/MemberState.js';
import type { Long } from '@grpc/proto-loader';

export interface GossipResponse {
  'node_id'?: (string);
  'members'?: (_pairdb_v1_MemberState)[];
  'fence_epoch'?: (number | string | Long);
  'ring_epoch'?: (number | string | Long);
}

export interface GossipResponse__Output {
  'node_id': (string);
  'members': (_pairdb_v1_MemberState__Output)[];
  'fence_epoch': (string);
  'ring_epoch': (string);
}
