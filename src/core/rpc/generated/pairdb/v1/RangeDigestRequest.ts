// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { DigestSpec as _pairdb_v1_DigestSpec, DigestSpec__Output as _pairdb_v1_DigestSpec__Output } from '../../pairdb/v1/DigestSpec.js';

export interface RangeDigestRequest {
  'specs'?: (_pairdb_v1_DigestSpec)[];
  'depth'?: (number);
}

export interface RangeDigestRequest__Output {
  'specs': (_pairdb_v1_DigestSpec__Output)[];
  'depth': (number);
}
