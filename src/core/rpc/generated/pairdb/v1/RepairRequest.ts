// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { HashRange as _pairdb_v1_HashRange, HashRange__Output as _pairdb_v1_HashRange__Output } from '../../pairdb/v1/HashRange.js';

export interface RepairRequest {
  'tenant_id'?: (string);
  'node_id'?: (string);
  'depth'?: (number);
  'dry_run'?: (boolean);
  'range'?: (_pairdb_v1_HashRange | null);
}

export interface RepairRequest__Output {
  'tenant_id': (string);
  'node_id': (string);
  'depth': (number);
  'dry_run': (boolean);
  'range': (_pairdb_v1_HashRange__Output | null);
}
