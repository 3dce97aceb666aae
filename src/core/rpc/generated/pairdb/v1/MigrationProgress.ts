// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface MigrationProgress {
  'keys_migrated'?: (number | string | Long);
  'total_keys'?: (number | string | Long);
  'percentage'?: (number | string);
}

export interface MigrationProgress__Output {
  'keys_migrated': (string);
  'total_keys': (string);
  'percentage': (number);
}
