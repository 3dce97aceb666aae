// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';
import type { Long } from '@grpc/proto-loader';

export interface Version {
  'clock'?: (_pairdb_v1_VectorClock | null);
  'value'?: (Buffer | Uint8Array | string);
  'tombstone'?: (boolean);
  'timestamp_ms'?: (number | string | Long);
  'writer_id'?: (string);
  'write_id'?: (Buffer | Uint8Array | string);
  'lww'?: (boolean);
}

export interface Version__Output {
  'clock': (_pairdb_v1_VectorClock__Output | null);
  'value': (Buffer);
  'tombstone': (boolean);
  'timestamp_ms': (string);
  'writer_id': (string);
  'write_id': (Buffer);
  'lww': (boolean);
}
