// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';
import type { Long } from '@grpc/proto-loader';

export interface Sibling {
  'value'?: (Buffer | Uint8Array | string);
  'vector_clock'?: (_pairdb_v1_VectorClock | null);
  'timestamp_ms'?: (number | string | Long);
}

export interface Sibling__Output {
  'value': (Buffer);
  'vector_clock': (_pairdb_v1_VectorClock__Output | null);
  'timestamp_ms': (string);
}
