// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { StorageNodeInfo as _pairdb_v1_StorageNodeInfo, StorageNodeInfo__Output as _pairdb_v1_StorageNodeInfo__Output } from '../../pairdb/v1/StorageNodeInfo.js';
import type { MigrationStatus as _pairdb_v1_MigrationStatus, MigrationStatus__Output as _pairdb_v1_MigrationStatus__Output } from '../../pairdb/v1/MigrationStatus.js';
import type { CoordinatorInfo as _pairdb_v1_CoordinatorInfo, CoordinatorInfo__Output as _pairdb_v1_CoordinatorInfo__Output } from '../../pairdb/v1/CoordinatorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface ClusterStatusResponse {
  'topology_epoch'?: (number | string | Long);
  'nodes'?: (_pairdb_v1_StorageNodeInfo)[];
  'active_migration'?: (_pairdb_v1_MigrationStatus | null);
  'coordinators'?: (_pairdb_v1_CoordinatorInfo)[];
  'hints_pending'?: (number | string | Long);
  'last_repair_completed_at_ms'?: (number | string | Long);
  'metadata_backend'?: (string);
  'redis_connected'?: (boolean);
  'max_replication_factor'?: (number);
  'warnings'?: (string)[];
  'tenant_count'?: (number);
  'migrations_pending'?: (number);
  'max_hint_window_ms'?: (number | string | Long);
}

export interface ClusterStatusResponse__Output {
  'topology_epoch': (string);
  'nodes': (_pairdb_v1_StorageNodeInfo__Output)[];
  'active_migration': (_pairdb_v1_MigrationStatus__Output | null);
  'coordinators': (_pairdb_v1_CoordinatorInfo__Output)[];
  'hints_pending': (string);
  'last_repair_completed_at_ms': (string);
  'metadata_backend': (string);
  'redis_connected': (boolean);
  'max_replication_factor': (number);
  'warnings': (string)[];
  'tenant_count': (number);
  'migrations_pending': (number);
  'max_hint_window_ms': (string);
}
