import { PairdbError } from '../errors.js';

/**
 * The stale-node rule (cluster.md §2): a node down longer than gc_grace MUST NOT rejoin with its data — its peers may
 * have purged tombstones it never saw, so its old values would come back. The node keeps a last-alive time in
 * `<data-dir>/ALIVE` and refuses to start past gc_grace; the coordinator's ClusterStatus warns about such a node.
 * Pure: the daemons read the clock and the file.
 */

export const ALIVE_FILE = 'ALIVE';
/** The ALIVE file is rewritten this often at most (a shorter gc_grace shortens it, see aliveIntervalMs). */
export const MAX_ALIVE_INTERVAL_MS = 60_000;

/** The ALIVE file's content: unix ms and a newline. */
export function formatLastAlive(ms: number): string {
  return `${Math.floor(ms)}\n`;
}

/** The time an ALIVE file holds, or undefined when it is not `<digits>\n` (a torn write: treated as absent). */
export function parseLastAlive(text: string): number | undefined {
  const m = /^(\d{1,16})\n?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * How often to rewrite ALIVE: every minute, or a tenth of gc_grace when that is shorter (at least 100 ms), so a node
 * killed without warning looks at most that much older than it is.
 */
export function aliveIntervalMs(gcGraceMs: number): number {
  return Math.max(100, Math.min(MAX_ALIVE_INTERVAL_MS, Math.floor(gcGraceMs / 10)));
}

function days(ms: number): string {
  if (ms >= 86_400_000) return `${(ms / 86_400_000).toFixed(1)}d`;
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The refusal for a data dir last alive at `lastAliveMs` (undefined = never recorded: a new or pre-ALIVE dir, allowed),
 * or undefined when it may start. Past gc_grace → NODE_STALE with the remedy in the hint.
 */
export function staleRejoinError(lastAliveMs: number | undefined, nowMs: number, gcGraceMs: number): PairdbError | undefined {
  if (lastAliveMs === undefined) return undefined;
  const downMs = nowMs - lastAliveMs;
  if (downMs <= gcGraceMs) return undefined;
  return new PairdbError(
    'NODE_STALE',
    `this node was last alive ${days(downMs)} ago (${new Date(lastAliveMs).toISOString()}), longer than gc-grace (${days(gcGraceMs)}): its data may resurrect deleted keys`,
    {
      hint: 'remove the node (pairdb node remove --force), wipe its data dir and add it back empty; or start with --allow-stale-rejoin if you are sure no tombstone was purged meanwhile',
    },
  );
}

/** One storage node as ClusterStatus sees it. */
export interface DownNode {
  readonly nodeId: string;
  /** When the coordinator's circuit to it opened; undefined while alive. */
  readonly downSinceMs: number | undefined;
  /** The node's gc_grace as last reported (Stats/gossip); undefined or 0 when never heard. */
  readonly gcGraceMs: number | undefined;
}

/** ClusterStatus warnings for nodes down longer than their gc_grace (cluster.md §2). */
export function staleNodeWarnings(nodes: readonly DownNode[], nowMs: number, defaultGcGraceMs: number): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    if (n.downSinceMs === undefined) continue;
    const grace = n.gcGraceMs && n.gcGraceMs > 0 ? n.gcGraceMs : defaultGcGraceMs;
    const down = nowMs - n.downSinceMs;
    if (down > grace) {
      out.push(`storage node ${n.nodeId} has been down ${days(down)}, longer than gc-grace (${days(grace)}): it must not rejoin with its data (remove it with --force, re-add it empty)`);
    }
  }
  return out;
}
