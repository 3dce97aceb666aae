// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { HashRange as _pairdb_v1_HashRange, HashRange__Output as _pairdb_v1_HashRange__Output } from '../../pairdb/v1/HashRange.js';

export interface RangeSpec {
  'ranges'?: (_pairdb_v1_HashRange)[];
  'tenant_ids'?: (string)[];
}

export interface RangeSpec__Output {
  'ranges': (_pairdb_v1_HashRange__Output)[];
  'tenant_ids': (string)[];
}
