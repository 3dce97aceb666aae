/**
 * Response bodies of the gateway HTTP API (http-api.md §3, §7, §8), as the CLI receives them. Printers in `json`
 * mode print these objects back unchanged, so only the members the table/simple printers read are typed strictly.
 */

export type Consistency = 'one' | 'quorum' | 'all';
export type ConflictMode = 'lww' | 'siblings';
export type VectorClockJson = Record<string, number>;

export interface PutBody {
  status: 'success';
  key: string;
  idempotency_key: string;
  vector_clock: VectorClockJson;
  replica_count: number;
  consistency: Consistency;
  is_duplicate: boolean;
}

export interface SiblingJson {
  value?: unknown;
  deleted?: true;
  vector_clock: VectorClockJson;
}

export interface GetBody {
  status: 'success';
  key: string;
  value: unknown;
  vector_clock: VectorClockJson;
  siblings?: SiblingJson[];
}

export interface DeleteBody {
  status: 'success';
  key: string;
  vector_clock: VectorClockJson;
  replica_count: number;
}

export interface RateLimitsJson {
  writes_per_minute: number | null;
  reads_per_minute: number | null;
}

export interface TenantJson {
  tenant_id: string;
  replication_factor: number;
  conflict_resolution: ConflictMode;
  rate_limits: RateLimitsJson;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface TenantBody extends TenantJson {
  status: 'success';
}

export interface TenantListBody {
  status: 'success';
  tenants: TenantJson[];
  next_cursor: string | null;
}

export interface ReplicationChangeBody {
  status: 'success';
  tenant_id: string;
  old_replication_factor: number;
  new_replication_factor: number;
  migration_id: string | null;
  updated_at: string;
}

export interface NodeJson {
  node_id: string;
  host: string;
  port: number;
  status: string;
  virtual_nodes: number;
  keys_count: number | null;
  disk_usage_percent: number | null;
}

export interface NodeListBody {
  status: 'success';
  nodes: NodeJson[];
}

export interface NodeChangeBody {
  status: 'accepted';
  node_id: string;
  migration_id: string;
  message: string;
  estimated_completion: string | null;
}

export interface ErrorEnvelope {
  status: 'error';
  error_code: string;
  message: string;
  request_id: string;
  outcome?: 'not_applied' | 'unknown';
  idempotency_key?: string;
  retry_after_seconds?: number;
}

/** Body of `POST /v1/tenants` (http-api.md §7). Unset members take the gateway's defaults. */
export interface CreateTenantInput {
  tenant_id: string;
  replication_factor?: number;
  conflict_resolution?: ConflictMode;
  rate_limits?: Partial<RateLimitsJson>;
}

/** Body of `PATCH /v1/tenants/{id}`. */
export interface UpdateTenantInput {
  conflict_resolution?: ConflictMode;
  rate_limits?: Partial<RateLimitsJson>;
}

export type MigrationStatusName = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** `GET /v1/admin/migrations/{id}` (http-api.md §8.4). */
export interface MigrationBody {
  status: 'success';
  migration_id: string;
  type: 'node_addition' | 'node_removal' | 'replication_change';
  node_id: string | null;
  tenant_id: string | null;
  migration_status: MigrationStatusName;
  progress: { keys_migrated: number; total_keys: number; percentage: number };
  started_at: string | null;
  estimated_completion: string | null;
  completed_at: string | null;
  error: string | null;
}
