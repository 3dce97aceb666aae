// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';
import type { Consistency as _pairdb_v1_Consistency, Consistency__Output as _pairdb_v1_Consistency__Output } from '../../pairdb/v1/Consistency.js';

export interface WriteKeyValueResponse {
  'key'?: (string);
  'idempotency_key'?: (string);
  'vector_clock'?: (_pairdb_v1_VectorClock | null);
  'replica_count'?: (number);
  'consistency'?: (_pairdb_v1_Consistency);
  'is_duplicate'?: (boolean);
  'idempotency_bypassed'?: (boolean);
}

export interface WriteKeyValueResponse__Output {
  'key': (string);
  'idempotency_key': (string);
  'vector_clock': (_pairdb_v1_VectorClock__Output | null);
  'replica_count': (number);
  'consistency': (_pairdb_v1_Consistency__Output);
  'is_duplicate': (boolean);
  'idempotency_bypassed': (boolean);
}
