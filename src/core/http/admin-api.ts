import type * as pb from '../rpc/types.js';
import { iso, isoOrNull } from './json-format.js';
import { assertKnownParams, type QueryParams } from './query.js';
import { assertKnownMembers, assertNodeId, invalid, isHost, optionalInteger, type JsonObject } from './validation.js';

/** Admin endpoints (http-api.md §8): input rules and response shapes. */

const ADD_MEMBERS: ReadonlySet<string> = new Set(['node_id', 'host', 'port', 'virtual_nodes']);
const REMOVE_PARAMS: ReadonlySet<string> = new Set(['force']);
const NO_PARAMS: ReadonlySet<string> = new Set();
const MIGRATION_ID_RE = /^mig-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type NodeStatus = 'bootstrapping' | 'normal' | 'leaving' | 'down' | 'failed' | 'removed';

/** POST /v1/admin/storage-nodes */
export function parseAddNode(body: JsonObject, query: QueryParams): pb.AddStorageNodeRequest {
  assertKnownParams(query, NO_PARAMS);
  assertKnownMembers(body, ADD_MEMBERS);
  const id = body['node_id'];
  if (id === undefined || id === null) throw invalid('node_id is required');
  const nodeId = assertNodeId(id);
  const host = body['host'];
  if (!isHost(host)) throw invalid('host must be 1-253 characters of [A-Za-z0-9.-] or an IPv6 literal without brackets');
  const port = optionalInteger(body['port'], 1, 65535, () => invalid('port must be an integer 1-65535'));
  if (port === undefined) throw invalid('port is required');
  const vnodes = optionalInteger(body['virtual_nodes'], 1, 1024, () => invalid('virtual_nodes must be an integer 1-1024'));
  return { node_id: nodeId, host, port, virtual_nodes: vnodes ?? 150 };
}

/** DELETE /v1/admin/storage-nodes/{node_id}?force=true|false */
export function parseRemoveNode(nodeId: string, query: QueryParams): pb.RemoveStorageNodeRequest {
  assertKnownParams(query, REMOVE_PARAMS);
  const f = query.get('force');
  if (f !== undefined && f !== 'true' && f !== 'false') throw invalid('force must be true or false');
  return { node_id: assertNodeId(nodeId), force: f === 'true' };
}

/** GET routes without parameters. */
export function assertNoParams(query: QueryParams): void {
  assertKnownParams(query, NO_PARAMS);
}

/** Migration ids are `mig-` + lowercase UUID; any other format is simply not found (§8.4). */
export function isMigrationId(s: string): boolean {
  return MIGRATION_ID_RE.test(s);
}

export function nodeChangeJson(r: pb.NodeChangeResponse__Output, fallbackMessage: string): string {
  return JSON.stringify({
    status: 'accepted',
    node_id: r.node_id,
    migration_id: r.migration_id,
    message: r.message || fallbackMessage,
    estimated_completion: isoOrNull(r.estimated_completion_ms),
  });
}

/** The HTTP status of a node: the coordinator's lower-case `status`, else derived from state and liveness. */
export function nodeStatus(n: pb.StorageNodeInfo__Output): NodeStatus {
  switch (n.status) {
    case 'bootstrapping':
    case 'normal':
    case 'leaving':
    case 'down':
    case 'failed':
    case 'removed':
      return n.status;
  }
  if (n.state === 'NODE_STATE_REMOVED') return 'removed';
  if (n.state === 'NODE_STATE_FAILED') return 'failed';
  if (n.liveness === 'LIVENESS_DOWN') return 'down';
  if (n.state === 'NODE_STATE_BOOTSTRAPPING') return 'bootstrapping';
  if (n.state === 'NODE_STATE_LEAVING') return 'leaving';
  return 'normal';
}

export function nodesJson(r: pb.ListStorageNodesResponse__Output): string {
  const nodes = r.nodes
    .filter((n) => nodeStatus(n) !== 'removed')
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0))
    .map((n) => ({
      node_id: n.node_id,
      host: n.host,
      port: n.port,
      status: nodeStatus(n),
      virtual_nodes: n.virtual_nodes,
      keys_count: n.stats_known ? Number(n.keys_count) : null,
      disk_usage_percent: n.stats_known ? n.disk_usage_percent : null,
    }));
  return JSON.stringify({ status: 'success', nodes });
}

const MIGRATION_TYPES: Record<string, string> = {
  NODE_ADDITION: 'node_addition',
  NODE_REMOVAL: 'node_removal',
  REPLICATION_CHANGE: 'replication_change',
};

const MIGRATION_STATES: Record<string, string> = {
  MIGRATION_PENDING: 'pending',
  MIGRATION_IN_PROGRESS: 'in_progress',
  MIGRATION_COMPLETED: 'completed',
  MIGRATION_FAILED: 'failed',
  MIGRATION_CANCELLED: 'cancelled',
};

function migrationState(m: pb.MigrationStatus__Output): string {
  return MIGRATION_STATES[m.status] ?? 'pending';
}

/** floor(keys_migrated×10000/total_keys)/100; with no keys, 100 once completed, else 0 (§8.4). */
export function migrationPercentage(keysMigrated: bigint, totalKeys: bigint, state: string): number {
  if (totalKeys === 0n) return state === 'completed' ? 100 : 0;
  return Number((keysMigrated * 10000n) / totalKeys) / 100;
}

function toBigInt(s: string | undefined): bigint {
  try {
    return BigInt(s ?? '0');
  } catch {
    return 0n;
  }
}

function percentageOf(m: pb.MigrationStatus__Output): number {
  return migrationPercentage(toBigInt(m.progress?.keys_migrated), toBigInt(m.progress?.total_keys), migrationState(m));
}

export function migrationJson(m: pb.MigrationStatus__Output): string {
  const state = migrationState(m);
  return JSON.stringify({
    status: 'success',
    migration_id: m.migration_id,
    type: MIGRATION_TYPES[m.type] ?? null,
    node_id: m.node_id === '' ? null : m.node_id,
    tenant_id: m.tenant_id === '' ? null : m.tenant_id,
    migration_status: state,
    progress: {
      keys_migrated: Number(m.progress?.keys_migrated ?? 0),
      total_keys: Number(m.progress?.total_keys ?? 0),
      percentage: percentageOf(m),
    },
    started_at: isoOrNull(m.started_at_ms),
    estimated_completion: isoOrNull(m.estimated_completion_ms),
    completed_at: isoOrNull(m.completed_at_ms),
    error: m.error_message === '' ? null : m.error_message,
  });
}

export interface CoordinatorHealth {
  readonly address: string;
  readonly healthy: boolean;
}

/** GET /v1/admin/cluster (§8.5). */
export function clusterJson(
  r: pb.ClusterStatusResponse__Output,
  coordinators: readonly CoordinatorHealth[],
  version: string,
  nowMs: number,
): string {
  const counts = { total: 0, bootstrapping: 0, normal: 0, leaving: 0, down: 0, failed: 0 };
  for (const n of r.nodes) {
    const s = nodeStatus(n);
    if (s === 'removed') continue;
    counts.total++;
    counts[s]++;
  }
  const degraded =
    counts.down > 0 ||
    counts.failed > 0 ||
    coordinators.some((c) => !c.healthy) ||
    counts.normal < r.max_replication_factor;
  const m = r.active_migration;
  const active =
    m && m.migration_id !== ''
      ? { migration_id: m.migration_id, type: MIGRATION_TYPES[m.type] ?? null, migration_status: migrationState(m), percentage: percentageOf(m) }
      : null;
  return JSON.stringify({
    status: 'success',
    cluster_status: degraded ? 'degraded' : 'healthy',
    version,
    generated_at: iso(nowMs),
    coordinators: coordinators.map((c) => ({ address: c.address, healthy: c.healthy })),
    storage_nodes: counts,
    tenants: { count: r.tenant_count, max_replication_factor: r.max_replication_factor },
    migrations: { active, pending: r.migrations_pending },
  });
}
