// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { ConflictResolution as _pairdb_v1_ConflictResolution, ConflictResolution__Output as _pairdb_v1_ConflictResolution__Output } from '../../pairdb/v1/ConflictResolution.js';

export interface UpdateTenantRequest {
  'tenant_id'?: (string);
  'conflict_resolution'?: (_pairdb_v1_ConflictResolution);
  'write_rate_per_min'?: (number);
  'read_rate_per_min'?: (number);
  '_conflict_resolution'?: "conflict_resolution";
  '_write_rate_per_min'?: "write_rate_per_min";
  '_read_rate_per_min'?: "read_rate_per_min";
}

export interface UpdateTenantRequest__Output {
  'tenant_id': (string);
  'conflict_resolution'?: (_pairdb_v1_ConflictResolution__Output);
  'write_rate_per_min'?: (number);
  'read_rate_per_min'?: (number);
  '_conflict_resolution'?: "conflict_resolution";
  '_write_rate_per_min'?: "write_rate_per_min";
  '_read_rate_per_min'?: "read_rate_per_min";
}
