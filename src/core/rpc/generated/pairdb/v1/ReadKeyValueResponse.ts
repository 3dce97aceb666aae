// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';
import type { Sibling as _pairdb_v1_Sibling, Sibling__Output as _pairdb_v1_Sibling__Output } from '../../pairdb/v1/Sibling.js';
import type { Long } from '@grpc/proto-loader';

export interface ReadKeyValueResponse {
  'key'?: (string);
  'value'?: (Buffer | Uint8Array | string);
  'vector_clock'?: (_pairdb_v1_VectorClock | null);
  'siblings'?: (_pairdb_v1_Sibling)[];
  'timestamp_ms'?: (number | string | Long);
  'replica_count'?: (number);
}

export interface ReadKeyValueResponse__Output {
  'key': (string);
  'value': (Buffer);
  'vector_clock': (_pairdb_v1_VectorClock__Output | null);
  'siblings': (_pairdb_v1_Sibling__Output)[];
  'timestamp_ms': (string);
  'replica_count': (number);
}
