// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { RangeSpec as _pairdb_v1_RangeSpec, RangeSpec__Output as _pairdb_v1_RangeSpec__Output } from '../../pairdb/v1/RangeSpec.js';
import type { ScanCursor as _pairdb_v1_ScanCursor, ScanCursor__Output as _pairdb_v1_ScanCursor__Output } from '../../pairdb/v1/ScanCursor.js';

export interface ScanRangeRequest {
  'spec'?: (_pairdb_v1_RangeSpec | null);
  'resume_after'?: (_pairdb_v1_ScanCursor | null);
  'batch_size'?: (number);
  'keys_only'?: (boolean);
  'include_expired_tombstones'?: (boolean);
}

export interface ScanRangeRequest__Output {
  'spec': (_pairdb_v1_RangeSpec__Output | null);
  'resume_after': (_pairdb_v1_ScanCursor__Output | null);
  'batch_size': (number);
  'keys_only': (boolean);
  'include_expired_tombstones': (boolean);
}
