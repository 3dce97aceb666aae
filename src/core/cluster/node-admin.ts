import { PairdbError } from '../errors.js';
import type { MetadataStore, MigrationRecord, NodeState, StorageNodeRecord, TenantRecord } from '../metadata/metadata-store.js';
import { newMigrationRecord } from './migration-driver.js';
import type { Logger } from '../observability/logger.js';
import type * as pb from '../rpc/types.js';
import { type ClientFactory, type NodeRegistry, nodeAddress } from './node-registry.js';
import { DEFAULT_VNODES, MAX_VNODES } from './ring.js';
import { checkHost, checkNodeId } from './validation.js';
import { staleNodeWarnings } from './stale-node.js';

/**
 * Storage-node RPCs of CoordinatorService (rpc.md §5, cluster.md §11.1): AddStorageNode with the new-cluster
 * shortcut, ListStorageNodes, GetMigrationStatus, ClusterStatus. Changes are serialized by a mutex (the
 * embedded stand-in for the Postgres advisory lock). Node additions, removals and RF changes are queued here as
 * migrations; the MigrationDriver (migration-driver.ts) runs them.
 */

const MIGRATION_ID = /^mig-[0-9a-f-]{36}$/;
const HEALTH_TIMEOUT_MS = 5_000;
const STATS_TIMEOUT_MS = 2_000;
/** Hint window reported by ClusterStatus (cluster.md §9 default; hints arrive in a later issue). */
const MAX_HINT_WINDOW_MS = 3 * 3_600_000;
/** gc_grace of a node that never reported one (cluster.md §8 default). */
const DEFAULT_GC_GRACE_MS = 10 * 86_400_000;

const NODE_STATE_WIRE = {
  bootstrapping: 'NODE_STATE_BOOTSTRAPPING',
  normal: 'NODE_STATE_NORMAL',
  leaving: 'NODE_STATE_LEAVING',
  removed: 'NODE_STATE_REMOVED',
  failed: 'NODE_STATE_FAILED',
} as const satisfies Record<NodeState, string>;

const MIGRATION_TYPE_WIRE = { node_addition: 'NODE_ADDITION', node_removal: 'NODE_REMOVAL', replication_change: 'REPLICATION_CHANGE' } as const;
const MIGRATION_STATE_WIRE = {
  pending: 'MIGRATION_PENDING',
  in_progress: 'MIGRATION_IN_PROGRESS',
  completed: 'MIGRATION_COMPLETED',
  failed: 'MIGRATION_FAILED',
  cancelled: 'MIGRATION_CANCELLED',
} as const;
const PHASE_WIRE = {
  prepare: 'PHASE_PREPARE',
  streaming: 'PHASE_STREAMING',
  handover_write: 'PHASE_HANDOVER_WRITE',
  hint_replay: 'PHASE_HINT_REPLAY',
  handover_read: 'PHASE_HANDOVER_READ',
  done: 'PHASE_DONE',
} as const;

export interface NodeAdminDeps {
  readonly store: MetadataStore;
  readonly registry: NodeRegistry;
  /** Makes a client for a node that is not registered yet (the Health/Stats check of AddStorageNode). */
  readonly clientFactory: ClientFactory;
  /** Reloads nodes and epoch after a committed change (ring rebuild, tenant cache drop). */
  readonly onTopologyChanged: () => Promise<void>;
  readonly coordinator: { readonly id: string; readonly address: () => string };
  readonly epoch: () => number;
  readonly logger: Logger;
  readonly nowMs?: () => number;
  /** Undelivered hints per target node (cluster.md §9); absent = none kept. */
  readonly hintsPending?: () => ReadonlyMap<string, number>;
  /** A node's gc_grace as last gossiped (cluster.md §2 stale-node warning); absent or undefined = the 10 d default. */
  readonly gcGraceOf?: (nodeId: string) => number | undefined;
}

/** percentage = floor(migrated·10000/total)/100; total 0 → 100 when completed, else 0 (cluster.md §11.4). */
export function migrationPercentage(m: MigrationRecord): number {
  if (m.totalKeys === 0) return m.status === 'completed' ? 100 : 0;
  return Math.floor((m.keysMigrated * 10000) / m.totalKeys) / 100;
}

/** estimated_completion = now + elapsed·(total − migrated)/migrated once migrated > 0 (cluster.md §11.4); 0 = unknown. */
export function estimatedCompletionMs(m: MigrationRecord, nowMs: number): number {
  if (m.status !== 'in_progress' || m.startedAtMs === null || m.keysMigrated <= 0) return 0;
  const elapsed = Math.max(0, nowMs - m.startedAtMs);
  return Math.round(nowMs + (elapsed * Math.max(0, m.totalKeys - m.keysMigrated)) / m.keysMigrated);
}

export function migrationToWire(m: MigrationRecord, nowMs = Date.now()): pb.MigrationStatus {
  const tasks = m.tasks.length;
  return {
    migration_id: m.migrationId,
    type: MIGRATION_TYPE_WIRE[m.type],
    node_id: m.nodeId ?? '',
    tenant_id: m.tenantId ?? '',
    status: MIGRATION_STATE_WIRE[m.status],
    phase: PHASE_WIRE[m.phase],
    progress: { keys_migrated: m.keysMigrated, total_keys: m.totalKeys, percentage: migrationPercentage(m) },
    started_at_ms: m.startedAtMs ?? 0,
    estimated_completion_ms: estimatedCompletionMs(m, nowMs),
    completed_at_ms: m.completedAtMs ?? 0,
    error_message: m.errorMessage ?? '',
    old_replication_factor: m.oldRf ?? 0,
    new_replication_factor: m.newRf ?? 0,
    tasks_total: tasks,
    tasks_completed: m.tasks.filter((t) => t.state === 'completed').length,
    cleanup_after_ms: m.cleanupAfterMs ?? 0,
  };
}

const LIVENESS_WIRE = { alive: 'LIVENESS_ALIVE', suspect: 'LIVENESS_SUSPECT', down: 'LIVENESS_DOWN' } as const;

/**
 * Nodes that will be `normal` once every queued or running change is done (the projected topology of §11.1):
 * normal and bootstrapping nodes not leaving, plus queued additions, without `exclude`.
 */
function projectedNodes(nodes: readonly StorageNodeRecord[], active: readonly MigrationRecord[], exclude?: string): number {
  const leaving = new Set(active.filter((m) => m.type === 'node_removal').map((m) => m.nodeId));
  const queuedAdds = active.filter((m) => m.type === 'node_addition' && m.status === 'pending').length;
  return nodes.filter((n) => (n.state === 'normal' || n.state === 'bootstrapping') && !leaving.has(n.nodeId) && n.nodeId !== exclude).length + queuedAdds;
}

export class NodeAdmin {
  readonly #d: NodeAdminDeps;
  readonly #nowMs: () => number;
  #chain: Promise<unknown> = Promise.resolve();
  /** A migration was queued (the driver looks for work). */
  onQueued: (() => void) | undefined;
  /** RemoveStorageNode of a node whose addition is running: the driver rolls it back. */
  onCancel: ((migrationId: string) => void) | undefined;

  constructor(deps: NodeAdminDeps) {
    this.#d = deps;
    this.#nowMs = deps.nowMs ?? Date.now;
  }

  /** Runs topology changes one at a time. */
  #serialized<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn, fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  add(req: pb.AddStorageNodeRequest__Output): Promise<pb.NodeChangeResponse> {
    checkNodeId(req.node_id);
    checkHost(req.host);
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new PairdbError('INVALID_REQUEST', 'port must be 1-65535');
    const vnodes = req.virtual_nodes === 0 ? DEFAULT_VNODES : req.virtual_nodes;
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > MAX_VNODES) {
      throw new PairdbError('INVALID_REQUEST', `virtual_nodes must be 1-${MAX_VNODES}`);
    }
    return this.#serialized(async () => {
      const nodes = await this.#d.store.listStorageNodes();
      const address = nodeAddress(req.host, req.port);
      for (const n of nodes) {
        if (n.state === 'removed' || n.state === 'failed') continue;
        if (n.nodeId === req.node_id) throw new PairdbError('NODE_EXISTS', `node ${req.node_id} already exists (${n.state})`);
        if (nodeAddress(n.host, n.port) === address) throw new PairdbError('NODE_EXISTS', `${address} is already node ${n.nodeId}`);
      }
      const queued = (await this.#d.store.listMigrations()).filter((m) => m.status === 'pending' || m.status === 'in_progress');
      for (const m of queued) {
        if (m.type !== 'node_addition') continue;
        const n = nodes.find((x) => x.nodeId === m.nodeId);
        if (m.nodeId === req.node_id) throw new PairdbError('NODE_EXISTS', `node ${req.node_id} is already being added (${m.migrationId})`);
        if (n && nodeAddress(n.host, n.port) === address) throw new PairdbError('NODE_EXISTS', `${address} is already being added as ${n.nodeId}`);
      }
      await this.#checkEmpty(req.node_id, address);
      const now = this.#nowMs();
      const prev = nodes.find((n) => n.nodeId === req.node_id);
      if ((await this.#d.store.countTenants()) > 0) {
        // A ring that may hold data: the node joins through a migration (cluster.md §11). Until the driver starts it,
        // the node's address waits in storage_nodes with a state outside both rings.
        const node: StorageNodeRecord = {
          nodeId: req.node_id,
          host: req.host,
          port: req.port,
          virtualNodes: vnodes,
          state: prev?.state === 'failed' ? 'failed' : 'removed',
          createdAtMs: prev?.createdAtMs ?? now,
          updatedAtMs: now,
          stateChangedAtMs: prev?.stateChangedAtMs ?? now,
        };
        const migration = newMigrationRecord('node_addition', { nodeId: req.node_id }, now);
        await this.#d.store.commitTopologyChange({ nodes: [node], migrations: [migration] });
        this.#d.logger.info({ node: req.node_id, address, migration: migration.migrationId }, 'storage node addition queued');
        this.onQueued?.();
        return { node_id: req.node_id, migration_id: migration.migrationId, message: 'node addition accepted', estimated_completion_ms: 0 };
      }
      // New-cluster shortcut (§11.1): no tenant, so no data can exist; the node is normal at once and its
      // migration is recorded as completed with 0 keys.
      const node: StorageNodeRecord = {
        nodeId: req.node_id,
        host: req.host,
        port: req.port,
        virtualNodes: vnodes,
        state: 'normal',
        createdAtMs: prev?.createdAtMs ?? now,
        updatedAtMs: now,
        stateChangedAtMs: now,
      };
      const migration: MigrationRecord = { ...newMigrationRecord('node_addition', { nodeId: req.node_id }, now), status: 'completed', phase: 'done', startedAtMs: now, completedAtMs: now };
      const epoch = await this.#d.store.commitTopologyChange({ nodes: [node], migrations: [migration] });
      await this.#d.onTopologyChanged();
      this.#d.logger.info({ node: req.node_id, address, epoch, migration: migration.migrationId }, 'storage node added');
      return { node_id: req.node_id, migration_id: migration.migrationId, message: 'node addition accepted', estimated_completion_ms: 0 };
    });
  }

  /** Health within 5 s and Stats key_count 0, else INVALID_REQUEST (cluster.md §11.1). */
  async #checkEmpty(nodeId: string, address: string): Promise<void> {
    const client = this.#d.clientFactory(address);
    try {
      let health: pb.HealthResponse__Output;
      let stats: pb.StatsResponse__Output;
      try {
        health = await client.health({ requestId: '', deadlineMs: Date.now() + HEALTH_TIMEOUT_MS });
        stats = await client.stats({ requestId: '', deadlineMs: Date.now() + HEALTH_TIMEOUT_MS });
      } catch (err) {
        throw new PairdbError('INVALID_REQUEST', `storage node ${address} did not answer: ${PairdbError.from(err).message}`, { cause: err });
      }
      if (health.node_id && health.node_id !== nodeId) {
        throw new PairdbError('INVALID_REQUEST', `${address} is storage node ${health.node_id}, not ${nodeId}`);
      }
      if (BigInt(stats.key_count || '0') !== 0n) {
        throw new PairdbError('INVALID_REQUEST', `storage node ${address} is not empty (${stats.key_count} keys)`, {
          hint: 'a node joins empty; wipe its data directory first',
        });
      }
    } finally {
      client.close();
    }
  }

  /**
   * RemoveStorageNode (§11.1): cancels the node's queued or running addition; answers an already queued removal with
   * its id; else queues a node_removal unless too few normal nodes would remain for the largest RF (NODE_IN_USE,
   * skipped by `force`).
   */
  remove(req: pb.RemoveStorageNodeRequest__Output): Promise<pb.NodeChangeResponse> {
    checkNodeId(req.node_id);
    return this.#serialized(async () => {
      const [nodes, migrations] = await Promise.all([this.#d.store.listStorageNodes(), this.#d.store.listMigrations()]);
      const queued = migrations.filter((m) => (m.status === 'pending' || m.status === 'in_progress') && m.nodeId === req.node_id);
      const addition = queued.find((m) => m.type === 'node_addition');
      const now = this.#nowMs();
      if (addition) {
        // A pending addition is cancelled in place unless the driver started it meanwhile; a running one is rolled
        // back by the driver.
        const guard = { migrationId: addition.migrationId, driverGeneration: addition.driverGeneration, phase: addition.phase, status: addition.status };
        const cancelledInPlace =
          addition.status === 'pending' &&
          (await this.#d.store.commitTopologyChange({ migrations: [{ ...addition, status: 'cancelled', completedAtMs: now, updatedAtMs: now }], expect: [guard] })) >= 0;
        if (!cancelledInPlace) this.onCancel?.(addition.migrationId);
        this.#d.logger.info({ node: req.node_id, migration: addition.migrationId }, 'storage node addition cancelled');
        return { node_id: req.node_id, migration_id: addition.migrationId, message: 'node addition cancelled', estimated_completion_ms: 0 };
      }
      const removal = queued.find((m) => m.type === 'node_removal');
      if (removal) return { node_id: req.node_id, migration_id: removal.migrationId, message: 'node removal already queued', estimated_completion_ms: 0 };
      const n = nodes.find((x) => x.nodeId === req.node_id && x.state !== 'removed');
      if (!n) throw new PairdbError('NODE_NOT_FOUND', `storage node ${req.node_id} not found`);
      if (n.state === 'failed') {
        // Not in any ring: nothing to stream.
        await this.#d.store.commitTopologyChange({ nodes: [{ ...n, state: 'removed', updatedAtMs: now, stateChangedAtMs: now }] });
        await this.#d.onTopologyChanged();
        return { node_id: req.node_id, migration_id: '', message: 'failed node removed', estimated_completion_ms: 0 };
      }
      // Projected topology: normal nodes after every queued change, against the largest RF after queued RF changes.
      const active = migrations.filter((m) => m.status === 'pending' || m.status === 'in_progress');
      const remaining = projectedNodes(nodes, active, req.node_id);
      let rMax = await this.#d.store.maxReplicationFactor();
      for (const m of active) if (m.type === 'replication_change' && m.newRf !== null) rMax = Math.max(rMax, m.newRf);
      if (!req.force && remaining < rMax) {
        throw new PairdbError('NODE_IN_USE', `removing ${req.node_id} would leave ${remaining} normal storage nodes, below the largest replication factor ${rMax}`);
      }
      const migration = newMigrationRecord('node_removal', { nodeId: req.node_id, force: req.force }, now);
      await this.#d.store.commitTopologyChange({ migrations: [migration] });
      this.#d.logger.info({ node: req.node_id, migration: migration.migrationId, force: req.force }, 'storage node removal queued');
      this.onQueued?.();
      return { node_id: req.node_id, migration_id: migration.migrationId, message: 'node removal accepted', estimated_completion_ms: 0 };
    });
  }

  /**
   * UpdateReplicationFactor (§11.1): 1..10 and ≤ the projected normal + bootstrapping nodes, else
   * INVALID_REPLICATION_FACTOR; the projected value (after queued changes) → no migration ('').
   */
  enqueueReplicationChange(tenant: TenantRecord, newRf: number): Promise<string> {
    return this.#serialized(async () => {
      const [nodes, migrations] = await Promise.all([this.#d.store.listStorageNodes(), this.#d.store.listMigrations()]);
      const active = migrations.filter((m) => m.status === 'pending' || m.status === 'in_progress');
      let projected = tenant.replicationFactor;
      for (const m of active) if (m.type === 'replication_change' && m.tenantId === tenant.tenantId && m.status === 'pending') projected = m.newRf!;
      if (newRf === projected) return '';
      const eligible = projectedNodes(nodes, active);
      if (!Number.isInteger(newRf) || newRf < 1 || newRf > 10 || newRf > eligible) {
        throw new PairdbError('INVALID_REPLICATION_FACTOR', `replication factor must be 1..${Math.min(10, eligible)} (normal and joining storage nodes), got ${newRf}`);
      }
      const migration = newMigrationRecord('replication_change', { tenantId: tenant.tenantId, oldRf: projected, newRf }, this.#nowMs());
      await this.#d.store.commitTopologyChange({ migrations: [migration] });
      this.#d.logger.info({ tenant: tenant.tenantId, old_rf: projected, new_rf: newRf, migration: migration.migrationId }, 'replication factor change queued');
      this.onQueued?.();
      return migration.migrationId;
    });
  }

  async #infos(includeRemoved: boolean): Promise<pb.StorageNodeInfo[]> {
    const nodes = (await this.#d.store.listStorageNodes()).filter((n) => includeRemoved || n.state !== 'removed');
    return Promise.all(nodes.map((n) => this.#info(n)));
  }

  async #info(n: StorageNodeRecord): Promise<pb.StorageNodeInfo> {
    const h = this.#d.registry.handle(n.nodeId);
    const monitored = h !== undefined;
    const down = h?.down ?? false;
    let stats: pb.StatsResponse__Output | undefined;
    if (h && !down) {
      stats = await h.client.stats({ requestId: '', deadlineMs: Date.now() + STATS_TIMEOUT_MS }).catch(() => undefined);
    }
    return {
      node_id: n.nodeId,
      host: n.host,
      port: n.port,
      state: NODE_STATE_WIRE[n.state],
      liveness: !monitored ? 'LIVENESS_UNSPECIFIED' : LIVENESS_WIRE[this.#d.registry.liveness(n.nodeId) ?? 'down'],
      status: down ? 'down' : n.state,
      virtual_nodes: n.virtualNodes,
      keys_count: stats?.key_count ?? '0',
      disk_usage_percent: stats?.disk_usage_percent ?? 0,
      hints_pending: this.#d.hintsPending?.().get(n.nodeId) ?? 0,
      load_bytes: stats ? (BigInt(stats.sstable_bytes || '0') + BigInt(stats.commitlog_bytes || '0')).toString() : '0',
      gc_grace_ms: stats?.gc_grace_ms ?? '0',
      stats_known: stats !== undefined,
    };
  }

  async list(req: pb.ListStorageNodesRequest__Output): Promise<pb.ListStorageNodesResponse> {
    return { nodes: await this.#infos(req.include_removed) };
  }

  async migrationStatus(req: pb.GetMigrationStatusRequest__Output): Promise<pb.MigrationStatus> {
    const m = MIGRATION_ID.test(req.migration_id) ? await this.#d.store.getMigration(req.migration_id) : undefined;
    if (!m) throw new PairdbError('MIGRATION_NOT_FOUND', `migration ${req.migration_id} not found`);
    return migrationToWire(m);
  }

  async clusterStatus(): Promise<pb.ClusterStatusResponse> {
    const [nodes, tenantCount, maxRf, migrations] = await Promise.all([
      this.#infos(false),
      this.#d.store.countTenants(),
      this.#d.store.maxReplicationFactor(),
      this.#d.store.listMigrations(),
    ]);
    const warnings: string[] = [];
    for (const n of nodes) if (n.status === 'down') warnings.push(`storage node ${String(n.node_id)} is down`);
    const down = nodes.map((n) => {
      const nodeId = String(n.node_id);
      const stated = Number(n.gc_grace_ms ?? 0);
      return { nodeId, downSinceMs: this.#d.registry.handle(nodeId)?.downSinceMs, gcGraceMs: stated > 0 ? stated : this.#d.gcGraceOf?.(nodeId) };
    });
    warnings.push(...staleNodeWarnings(down, this.#nowMs(), DEFAULT_GC_GRACE_MS));
    const normal = nodes.filter((n) => n.state === 'NODE_STATE_NORMAL').length;
    if (normal < maxRf) warnings.push(`${normal} normal storage nodes, below the largest replication factor ${maxRf}`);
    const active = migrations.find((m) => m.status === 'in_progress');
    return {
      topology_epoch: this.#d.epoch(),
      nodes,
      active_migration: active ? migrationToWire(active) : null,
      coordinators: [
        { coordinator_id: this.#d.coordinator.id, address: this.#d.coordinator.address(), epoch_acked: this.#d.epoch(), heartbeat_at_ms: this.#nowMs() },
      ],
      hints_pending: [...(this.#d.hintsPending?.().values() ?? [])].reduce((a, b) => a + b, 0),
      last_repair_completed_at_ms: await this.#d.store.lastRepairCompletedAtMs(),
      metadata_backend: this.#d.store.backend,
      redis_connected: false,
      max_replication_factor: maxRf,
      warnings,
      tenant_count: tenantCount,
      migrations_pending: migrations.filter((m) => m.status === 'pending').length,
      max_hint_window_ms: MAX_HINT_WINDOW_MS,
    };
  }
}
