// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface NodeChangeResponse {
  'node_id'?: (string);
  'migration_id'?: (string);
  'message'?: (string);
  'estimated_completion_ms'?: (number | string | Long);
}

export interface NodeChangeResponse__Output {
  'node_id': (string);
  'migration_id': (string);
  'message': (string);
  'estimated_completion_ms': (string);
}
