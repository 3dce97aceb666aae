// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { NodeState as _pairdb_v1_NodeState, NodeState__Output as _pairdb_v1_NodeState__Output } from '../../pairdb/v1/NodeState.js';
import type { Liveness as _pairdb_v1_Liveness, Liveness__Output as _pairdb_v1_Liveness__Output } from '../../pairdb/v1/Liveness.js';
import type { Long } from '@grpc/proto-loader';

export interface StorageNodeInfo {
  'node_id'?: (string);
  'host'?: (string);
  'port'?: (number);
  'state'?: (_pairdb_v1_NodeState);
  'liveness'?: (_pairdb_v1_Liveness);
  'status'?: (string);
  'virtual_nodes'?: (number);
  'keys_count'?: (number | string | Long);
  'disk_usage_percent'?: (number | string);
  'hints_pending'?: (number | string | Long);
  'load_bytes'?: (number | string | Long);
  'gc_grace_ms'?: (number | string | Long);
  'stats_known'?: (boolean);
}

export interface StorageNodeInfo__Output {
  'node_id': (string);
  'host': (string);
  'port': (number);
  'state': (_pairdb_v1_NodeState__Output);
  'liveness': (_pairdb_v1_Liveness__Output);
  'status': (string);
  'virtual_nodes': (number);
  'keys_count': (string);
  'disk_usage_percent': (number);
  'hints_pending': (string);
  'load_bytes': (string);
  'gc_grace_ms': (string);
  'stats_known': (boolean);
}
