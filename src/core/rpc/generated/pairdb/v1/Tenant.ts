// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { ConflictResolution as _pairdb_v1_ConflictResolution, ConflictResolution__Output as _pairdb_v1_ConflictResolution__Output } from '../../pairdb/v1/ConflictResolution.js';
import type { Long } from '@grpc/proto-loader';

export interface Tenant {
  'tenant_id'?: (string);
  'replication_factor'?: (number);
  'conflict_resolution'?: (_pairdb_v1_ConflictResolution);
  'write_rate_per_min'?: (number);
  'read_rate_per_min'?: (number);
  'created_at_ms'?: (number | string | Long);
  'updated_at_ms'?: (number | string | Long);
  'version'?: (number | string | Long);
}

export interface Tenant__Output {
  'tenant_id': (string);
  'replication_factor': (number);
  'conflict_resolution': (_pairdb_v1_ConflictResolution__Output);
  'write_rate_per_min': (number);
  'read_rate_per_min': (number);
  'created_at_ms': (string);
  'updated_at_ms': (string);
  'version': (string);
}
