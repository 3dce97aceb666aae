/**
 * The coordinator's metadata (cluster.md §15): tenants, storage nodes, migrations, the topology epoch and the
 * coordinator's hlc_floor. Backends implement `MetadataStore` (`embedded-metadata-store.ts` now, Postgres later);
 * records use the spec's field set with camelCase names and unix-ms times.
 */

export type ConflictResolution = 'lww' | 'siblings';

export interface TenantRecord {
  readonly tenantId: string;
  readonly replicationFactor: number;
  readonly conflictResolution: ConflictResolution;
  /** null = the cluster default. */
  readonly writeRatePerMin: number | null;
  readonly readRatePerMin: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** 1 at creation, +1 per change. */
  readonly version: number;
}

export type NodeState = 'bootstrapping' | 'normal' | 'leaving' | 'removed' | 'failed';

export interface StorageNodeRecord {
  readonly nodeId: string;
  readonly host: string;
  readonly port: number;
  readonly virtualNodes: number;
  readonly state: NodeState;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly stateChangedAtMs: number;
}

export type MigrationType = 'node_addition' | 'node_removal' | 'replication_change';
export type MigrationStatusName = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
export type MigrationPhaseName = 'prepare' | 'streaming' | 'handover_write' | 'hint_replay' | 'handover_read' | 'done';

export interface MigrationTaskRecord {
  readonly taskId: number;
  readonly kind: 'stream' | 'repair';
  readonly sourceNodeId: string | null;
  readonly targetNodeId: string;
  /** [start, end) pairs as decimal strings. */
  readonly ranges: ReadonlyArray<readonly [string, string]>;
  readonly tenantIds: readonly string[] | null;
  readonly state: 'pending' | 'running' | 'completed' | 'failed';
  readonly attempts: number;
  readonly keysTotal: number;
  readonly keysStreamed: number;
  readonly bytesStreamed: number;
  readonly checkpointTenant: string | null;
  readonly checkpointKey: string | null;
  readonly updatedAtMs: number;
}

export interface MigrationRecord {
  readonly migrationId: string;
  readonly type: MigrationType;
  readonly nodeId: string | null;
  readonly tenantId: string | null;
  readonly oldRf: number | null;
  readonly newRf: number | null;
  readonly status: MigrationStatusName;
  readonly phase: MigrationPhaseName;
  readonly force: boolean;
  readonly rfGroups: Readonly<Record<string, readonly string[]>> | null;
  readonly maxRf: number | null;
  readonly keysMigrated: number;
  readonly totalKeys: number;
  readonly driverGeneration: number;
  readonly errorMessage: string | null;
  readonly cleanup: ReadonlyArray<{ nodeId: string; ranges: ReadonlyArray<readonly [string, string]>; tenantIds: readonly string[] | null }>;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly deadlineAtMs: number | null;
  readonly startedAtMs: number | null;
  readonly completedAtMs: number | null;
  readonly cleanupAfterMs: number | null;
  readonly cleanedUpAtMs: number | null;
  readonly tasks: readonly MigrationTaskRecord[];
}

export interface TopologyRecord {
  readonly epoch: number;
  readonly fenceEpoch: number;
  readonly updatedAtMs: number;
}

/** What a migration must still be for a guarded write to apply (cluster.md §11.3 `WHERE driver_generation = … AND phase = …`). */
export interface MigrationGuard {
  readonly driverGeneration: number;
  readonly phase: MigrationPhaseName;
  readonly status: MigrationStatusName;
}

/** A membership change written in one step together with `epoch + 1` (cluster.md §4). */
export interface TopologyChange {
  readonly nodes?: readonly StorageNodeRecord[];
  readonly migrations?: readonly MigrationRecord[];
  /** Tenant replication factors changed with the topology (an RF change starting or rolling back). */
  readonly tenants?: readonly TenantRecord[];
  /**
   * Guard of a migration driver (cluster.md §11.3): every listed migration must still have this driver_generation and
   * phase, else nothing is written and the commit resolves -1 (the driver lost ownership).
   */
  readonly expect?: ReadonlyArray<MigrationGuard & { readonly migrationId: string }>;
}

export type RepairRunStatus = 'running' | 'completed' | 'failed' | 'aborted';

/** One anti-entropy run (cluster.md §14, the `repair_runs` table of §15). */
export interface RepairRunRecord {
  /** Lowercase UUID. */
  readonly runId: string;
  /** The tenant / node filter of the run; null = all. */
  readonly tenantId: string | null;
  readonly nodeId: string | null;
  readonly status: RepairRunStatus;
  readonly startedAtMs: number;
  readonly finishedAtMs: number | null;
  readonly rangesTotal: number;
  readonly rangesDone: number;
  readonly rangesSkipped: number;
  readonly keysRepaired: number;
  readonly errorMessage: string | null;
}

export interface ListPage<T> {
  readonly items: T[];
  /** More items exist after the last one returned. */
  readonly more: boolean;
}

export interface MetadataStore {
  /** "embedded" | "postgres" (ClusterStatus.metadata_backend). */
  readonly backend: string;
  /** Loads (or creates) the metadata; must be called once before anything else. */
  open(): Promise<void>;
  close(): Promise<void>;

  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  /** Tenants in ascending tenant_id order strictly after `after` (exclusive cursor). */
  listTenants(after: string, limit: number): Promise<ListPage<TenantRecord>>;
  countTenants(): Promise<number>;
  /** Largest replication factor of any tenant (0 without tenants). */
  maxReplicationFactor(): Promise<number>;
  /** INSERT; an existing id → PairdbError TENANT_EXISTS. */
  createTenant(tenant: TenantRecord): Promise<void>;
  /**
   * Replaces a tenant if its stored version is still `expectedVersion` (optimistic concurrency, cluster.md §13);
   * resolves false when it changed meanwhile, TENANT_NOT_FOUND when it is gone.
   */
  updateTenant(tenant: TenantRecord, expectedVersion: number): Promise<boolean>;

  listStorageNodes(): Promise<StorageNodeRecord[]>;
  getMigration(migrationId: string): Promise<MigrationRecord | undefined>;
  listMigrations(): Promise<MigrationRecord[]>;

  getTopology(): Promise<TopologyRecord>;
  /** Writes nodes, migrations and tenants and bumps the epoch, atomically; resolves with the new epoch (-1: guard failed). */
  commitTopologyChange(change: TopologyChange): Promise<number>;
  /**
   * Saves a migration's progress (counters, tasks, checkpoints) without an epoch change, if its driver_generation and
   * phase are still the expected ones; resolves false when not (the driver lost ownership, cluster.md §11.3).
   */
  updateMigration(m: MigrationRecord, expect: MigrationGuard): Promise<boolean>;

  /** Inserts or replaces a repair run by run_id; a backend may keep only the most recent runs. */
  saveRepairRun(run: RepairRunRecord): Promise<void>;
  /** The most recent repair runs, newest start first. */
  listRepairRuns(limit: number): Promise<RepairRunRecord[]>;
  /** finished_at of the newest run that completed with no range skipped; 0 when there is none. */
  lastRepairCompletedAtMs(): Promise<number>;

  /** Raises topology.fence_epoch to `fence` (never lowers it; no epoch change): the fence pushed at a Barrier (§4). */
  raiseFenceEpoch(fence: number): Promise<void>;

  /** The coordinator's persisted hlc_floor (0 when never saved). */
  getHlcFloor(coordinatorId: string): Promise<number>;
  setHlcFloor(coordinatorId: string, floor: number): Promise<void>;
}

/** Every tenant of the store, page by page (the driver's rf_groups, repair runs, cleanup). */
export async function listAllTenants(store: Pick<MetadataStore, 'listTenants'>): Promise<TenantRecord[]> {
  const out: TenantRecord[] = [];
  let after = '';
  for (;;) {
    const page = await store.listTenants(after, 1000);
    out.push(...page.items);
    if (!page.more || page.items.length === 0) return out;
    after = page.items[page.items.length - 1]!.tenantId;
  }
}
