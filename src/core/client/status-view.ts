import type * as pb from '../rpc/types.js';
import { ringOwnership, type RingMember } from './ownership.js';

/**
 * What `pairdb status` shows (cli-and-ops.md §2.5), computed from a coordinator's ClusterStatus answer. Pure: the
 * command fetches, this shapes, a printer formats.
 */

export type Liveness = 'up' | 'suspect' | 'down';

export interface StatusNode {
  node_id: string;
  address: string;
  /** False when the coordinator considers the node down. */
  up: boolean;
  /** Lower-case persisted state: normal, bootstrapping, leaving, failed. */
  state: string;
  load_bytes: number | null;
  /** Fraction of the ring (0..1): primary share, or the effective share under `--rf`. */
  owns: number;
  tokens: number;
  hints_pending: number;
  gc_grace_s: number | null;
}

export interface StatusMigration {
  migration_id: string;
  type: string;
  node_id: string | null;
  tenant_id: string | null;
  migration_status: string;
  percentage: number;
}

export interface StatusView {
  nodes: StatusNode[];
  migration: StatusMigration | null;
  /** Not part of the JSON shape: table-only context. */
  liveness: Map<string, Liveness>;
  metadataBackend: string;
  /** Non-fatal findings, printed as `Note:` lines on stderr (table output only). */
  notes: string[];
}

const STATE_LETTER: Record<string, string> = {
  normal: 'N',
  bootstrapping: 'B',
  leaving: 'L',
  failed: 'F',
  removed: 'R',
};

function stateName(state: string): string {
  return state.replace(/^NODE_STATE_/, '').toLowerCase() || 'unknown';
}

function livenessOf(n: pb.StorageNodeInfo__Output): Liveness {
  if (n.liveness === 'LIVENESS_DOWN' || n.status === 'down') return 'down';
  if (n.liveness === 'LIVENESS_SUSPECT') return 'suspect';
  return 'up';
}

/** Two-letter nodetool code: Up/Suspect/Down + Normal/Bootstrapping/Leaving/Failed. */
export function statusCode(liveness: Liveness, state: string): string {
  const l = liveness === 'up' ? 'U' : liveness === 'suspect' ? 'S' : 'D';
  return l + (STATE_LETTER[state] ?? '?');
}

/** `10800000` → `3h`; the largest unit that divides evenly, as in cli-and-ops.md §1 durations. */
export function formatDurationMs(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [u, n] of units) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

const MIGRATION_TYPE: Record<string, string> = {
  NODE_ADDITION: 'node_addition',
  NODE_REMOVAL: 'node_removal',
  REPLICATION_CHANGE: 'replication_change',
};

function migrationOf(m: pb.MigrationStatus__Output | null): StatusMigration | null {
  if (!m || !m.migration_id) return null;
  return {
    migration_id: m.migration_id,
    type: MIGRATION_TYPE[m.type] ?? String(m.type).toLowerCase(),
    node_id: m.node_id || null,
    tenant_id: m.tenant_id || null,
    migration_status: String(m.status).replace(/^MIGRATION_/, '').toLowerCase(),
    percentage: m.progress?.percentage ?? 0,
  };
}

export function buildStatusView(res: pb.ClusterStatusResponse__Output, opts: { rf?: number } = {}): StatusView {
  const listed = res.nodes.filter((n) => stateName(n.state) !== 'removed');
  // Only nodes that hold or gain ranges are on the ring; failed ones hold nothing.
  const ring: RingMember[] = listed
    .filter((n) => ['normal', 'leaving', 'bootstrapping'].includes(stateName(n.state)))
    .map((n) => ({ nodeId: n.node_id, vnodes: n.virtual_nodes }));
  const owns = ringOwnership(ring, opts.rf ?? 1);
  const liveness = new Map<string, Liveness>();
  const hintWindowMs = Number(res.max_hint_window_ms || 0);
  const notes: string[] = [];
  const nodes: StatusNode[] = listed
    .map((n) => {
      const live = livenessOf(n);
      liveness.set(n.node_id, live);
      const gcGraceMs = Number(n.gc_grace_ms || 0);
      return {
        node_id: n.node_id,
        address: `${n.host}:${n.port}`,
        up: live !== 'down',
        state: stateName(n.state),
        load_bytes: n.stats_known ? Number(n.load_bytes) : null,
        owns: owns.get(n.node_id) ?? 0,
        tokens: n.virtual_nodes,
        hints_pending: Number(n.hints_pending || 0),
        gc_grace_s: gcGraceMs > 0 ? gcGraceMs / 1000 : null,
      };
    })
    .sort((a, b) => (a.node_id < b.node_id ? -1 : a.node_id > b.node_id ? 1 : 0));
  const window = hintWindowMs > 0 ? ` (hint window ${formatDurationMs(hintWindowMs)})` : '';
  for (const n of nodes) {
    const live = liveness.get(n.node_id);
    if (live === 'down') {
      notes.push(
        n.hints_pending > 0
          ? `${n.node_id} is down; ${n.hints_pending} hints queued for it${window}.`
          : `${n.node_id} is down.`,
      );
    } else if (live === 'suspect') {
      notes.push(`${n.node_id} is suspected down (missed gossip heartbeats).`);
    }
    // cli-and-ops.md §2.5: gc-grace at or below the hint window lets a replayed hint resurrect purged data.
    if (n.gc_grace_s !== null && hintWindowMs > 0 && n.gc_grace_s * 1000 <= hintWindowMs) {
      notes.push(
        `${n.node_id} has gc-grace ${formatDurationMs(n.gc_grace_s * 1000)}, not above the hint window ` +
          `${formatDurationMs(hintWindowMs)}; deleted data may reappear.`,
      );
    }
  }
  for (const w of res.warnings) notes.push(w.endsWith('.') ? w : `${w}.`);
  return {
    nodes,
    migration: migrationOf(res.active_migration),
    liveness,
    metadataBackend: res.metadata_backend || 'unknown',
    notes,
  };
}

/** The stable JSON shape of cli-and-ops.md §2.5. */
export function statusJson(view: StatusView): { nodes: StatusNode[]; migration: StatusMigration | null } {
  return { nodes: view.nodes, migration: view.migration };
}
