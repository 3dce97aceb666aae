// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { WriteOutcome as _pairdb_v1_WriteOutcome, WriteOutcome__Output as _pairdb_v1_WriteOutcome__Output } from '../../pairdb/v1/WriteOutcome.js';
import type { VectorClock as _pairdb_v1_VectorClock, VectorClock__Output as _pairdb_v1_VectorClock__Output } from '../../pairdb/v1/VectorClock.js';

export interface WriteResponse {
  'outcome'?: (_pairdb_v1_WriteOutcome);
  'current_clock'?: (_pairdb_v1_VectorClock | null);
  'version_count'?: (number);
}

export interface WriteResponse__Output {
  'outcome': (_pairdb_v1_WriteOutcome__Output);
  'current_clock': (_pairdb_v1_VectorClock__Output | null);
  'version_count': (number);
}
