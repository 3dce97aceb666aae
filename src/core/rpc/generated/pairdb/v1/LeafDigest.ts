// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface LeafDigest {
  'hash'?: (Buffer | Uint8Array | string);
  'key_count'?: (number | string | Long);
}

export interface LeafDigest__Output {
  'hash': (Buffer);
  'key_count': (string);
}
