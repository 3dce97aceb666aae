// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { MemberStatus as _pairdb_v1_MemberStatus, MemberStatus__Output as _pairdb_v1_MemberStatus__Output } from '../../pairdb/v1/MemberStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface MemberState {
  'node_id'?: (string);
  'address'?: (string);
  'generation'?: (number | string | Long);
  'heartbeat'?: (number | string | Long);
  'status'?: (_pairdb_v1_MemberStatus);
  'disk_usage_percent'?: (number | string);
  'key_count'?: (number | string | Long);
  'load_bytes'?: (number | string | Long);
  'gc_grace_ms'?: (number | string | Long);
}

export interface MemberState__Output {
  'node_id': (string);
  'address': (string);
  'generation': (string);
  'heartbeat': (string);
  'status': (_pairdb_v1_MemberStatus__Output);
  'disk_usage_percent': (number);
  'key_count': (string);
  'load_bytes': (string);
  'gc_grace_ms': (string);
}
