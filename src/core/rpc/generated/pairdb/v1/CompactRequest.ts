// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { RangeSpec as _pairdb_v1_RangeSpec, RangeSpec__Output as _pairdb_v1_RangeSpec__Output } from '../../pairdb/v1/RangeSpec.js';

export interface CompactRequest {
  'level'?: (number);
  'all_levels'?: (boolean);
  'wait'?: (boolean);
  'drop'?: (_pairdb_v1_RangeSpec)[];
}

export interface CompactRequest__Output {
  'level': (number);
  'all_levels': (boolean);
  'wait': (boolean);
  'drop': (_pairdb_v1_RangeSpec__Output)[];
}
