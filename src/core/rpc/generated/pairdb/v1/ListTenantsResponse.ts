// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { Tenant as _pairdb_v1_Tenant, Tenant__Output as _pairdb_v1_Tenant__Output } from '../../pairdb/v1/Tenant.js';

export interface ListTenantsResponse {
  'tenants'?: (_pairdb_v1_Tenant)[];
  'next_cursor'?: (string);
}

export interface ListTenantsResponse__Output {
  'tenants': (_pairdb_v1_Tenant__Output)[];
  'next_cursor': (string);
}
