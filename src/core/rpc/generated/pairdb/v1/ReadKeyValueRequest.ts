// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Consistency as _pairdb_v1_Consistency, Consistency__Output as _pairdb_v1_Consistency__Output } from '../../pairdb/v1/Consistency.js';

export interface ReadKeyValueRequest {
  'tenant_id'?: (string);
  'key'?: (string);
  'consistency'?: (_pairdb_v1_Consistency);
}

export interface ReadKeyValueRequest__Output {
  'tenant_id': (string);
  'key': (string);
  'consistency': (_pairdb_v1_Consistency__Output);
}
