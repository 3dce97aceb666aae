// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteIdEntry {
  'write_id'?: (Buffer | Uint8Array | string);
  'timestamp_ms'?: (number | string | Long);
}

export interface WriteIdEntry__Output {
  'write_id': (Buffer);
  'timestamp_ms': (string);
}
