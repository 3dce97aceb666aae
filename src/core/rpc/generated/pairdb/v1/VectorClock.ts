// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { VectorClockEntry as _pairdb_v1_VectorClockEntry, VectorClockEntry__Output as _pairdb_v1_VectorClockEntry__Output } from '../../pairdb/v1/VectorClockEntry.js';

export interface VectorClock {
  'entries'?: (_pairdb_v1_VectorClockEntry)[];
}

export interface VectorClock__Output {
  'entries': (_pairdb_v1_VectorClockEntry__Output)[];
}
