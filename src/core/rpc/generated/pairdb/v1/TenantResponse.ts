// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Tenant as _pairdb_v1_Tenant, Tenant__Output as _pairdb_v1_Tenant__Output } from '../../pairdb/v1/Tenant.js';

export interface TenantResponse {
  'tenant'?: (_pairdb_v1_Tenant | null);
  'active_migration_id'?: (string);
}

export interface TenantResponse__Output {
  'tenant': (_pairdb_v1_Tenant__Output | null);
  'active_migration_id': (string);
}
