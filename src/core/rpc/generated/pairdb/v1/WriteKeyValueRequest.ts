// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Consistency as _pairdb_v1_Consistency, Consistency__Output as _pairdb_v1_Consistency__Output } from '../../pairdb/v1/Consistency.js';
import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';

export interface WriteKeyValueRequest {
  'tenant_id'?: (string);
  'key'?: (string);
  'value'?: (Buffer | Uint8Array | string);
  'consistency'?: (_pairdb_v1_Consistency);
  'idempotency_key'?: (string);
  'context'?: (_pairdb_v1_VectorClock | null);
}

export interface WriteKeyValueRequest__Output {
  'tenant_id': (string);
  'key': (string);
  'value': (Buffer);
  'consistency': (_pairdb_v1_Consistency__Output);
  'idempotency_key': (string);
  'context': (_pairdb_v1_VectorClock__Output | null);
}
