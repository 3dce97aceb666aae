// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotInfo {
  'name'?: (string);
  'created_at_ms'?: (number | string | Long);
  'sstables'?: (number);
  'bytes'?: (number | string | Long);
}

export interface SnapshotInfo__Output {
  'name': (string);
  'created_at_ms': (string);
  'sstables': (number);
  'bytes': (string);
}
