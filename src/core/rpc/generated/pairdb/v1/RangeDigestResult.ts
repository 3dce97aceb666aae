// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { LeafDigest as _pairdb_v1_LeafDigest, LeafDigest__Output as _pairdb_v1_LeafDigest__Output } from '../../pairdb/v1/LeafDigest.js';
import type { Long } from '@grpc/proto-loader';

export interface RangeDigestResult {
  'spec_index'?: (number);
  'leaves'?: (_pairdb_v1_LeafDigest)[];
  'key_count'?: (number | string | Long);
  'root'?: (Buffer | Uint8Array | string);
}

export interface RangeDigestResult__Output {
  'spec_index': (number);
  'leaves': (_pairdb_v1_LeafDigest__Output)[];
  'key_count': (string);
  'root': (Buffer);
}
