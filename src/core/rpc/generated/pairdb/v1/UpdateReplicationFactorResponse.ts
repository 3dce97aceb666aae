// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Long } from '@grpc/proto-loader';

export interface UpdateReplicationFactorResponse {
  'tenant_id'?: (string);
  'old_replication_factor'?: (number);
  'new_replication_factor'?: (number);
  'migration_id'?: (string);
  'updated_at_ms'?: (number | string | Long);
}

export interface UpdateReplicationFactorResponse__Output {
  'tenant_id': (string);
  'old_replication_factor': (number);
  'new_replication_factor': (number);
  'migration_id': (string);
  'updated_at_ms': (string);
}
