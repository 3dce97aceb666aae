// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { HashRange as _pairdb_v1_HashRange, HashRange__Output as _pairdb_v1_HashRange__Output } from '../../pairdb/v1/HashRange.js';

export interface DigestSpec {
  'range'?: (_pairdb_v1_HashRange | null);
  'tenant_ids'?: (string)[];
}

export interface DigestSpec__Output {
  'range': (_pairdb_v1_HashRange__Output | null);
  'tenant_ids': (string)[];
}
