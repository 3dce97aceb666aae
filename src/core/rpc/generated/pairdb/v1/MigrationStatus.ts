// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto

import type { MigrationType as _pairdb_v1_MigrationType, MigrationType__Output as _pairdb_v1_MigrationType__Output } from '../../pairdb/v1/MigrationType.js';
import type { MigrationState as _pairdb_v1_MigrationState, MigrationState__Output as _pairdb_v1_MigrationState__Output } from '../../pairdb/v1/MigrationState.js';
import type { MigrationPhase as _pairdb_v1_MigrationPhase, MigrationPhase__Output as _pairdb_v1_MigrationPhase__Output } from '../../pairdb/v1/MigrationPhase.js';
import type { MigrationProgress as _pairdb_v1_MigrationProgress, MigrationProgress__Output as _pairdb_v1_MigrationProgress__Output } from '../../pairdb/v1/MigrationProgress.js';
import type { Long } from '@grpc/proto-loader';

export interface MigrationStatus {
  'migration_id'?: (string);
  'type'?: (_pairdb_v1_MigrationType);
  'node_id'?: (string);
  'tenant_id'?: (string);
  'status'?: (_pairdb_v1_MigrationState);
  'phase'?: (_pairdb_v1_MigrationPhase);
  'progress'?: (_pairdb_v1_MigrationProgress | null);
  'started_at_ms'?: (number | string | Long);
  'estimated_completion_ms'?: (number | string | Long);
  'completed_at_ms'?: (number | string | Long);
  'error_message'?: (string);
  'old_replication_factor'?: (number);
  'new_replication_factor'?: (number);
  'tasks_total'?: (number);
  'tasks_completed'?: (number);
  'cleanup_after_ms'?: (number | string | Long);
}

export interface MigrationStatus__Output {
  'migration_id': (string);
  'type': (_pairdb_v1_MigrationType__Output);
  'node_id': (string);
  'tenant_id': (string);
  'status': (_pairdb_v1_MigrationState__Output);
  'phase': (_pairdb_v1_MigrationPhase__Output);
  'progress': (_pairdb_v1_MigrationProgress__Output | null);
  'started_at_ms': (string);
  'estimated_completion_ms': (string);
  'completed_at_ms': (string);
  'error_message': (string);
  'old_replication_factor': (number);
  'new_replication_factor': (number);
  'tasks_total': (number);
  'tasks_completed': (number);
  'cleanup_after_ms': (string);
}
