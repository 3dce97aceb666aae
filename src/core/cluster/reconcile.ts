import { type Clock, compareClocks, mergeClocks } from '../model/vector-clock.js';
import { type Version, compareLww, lwwMax, reduce } from '../model/version.js';

/**
 * Reconciliation of replica replies (cluster.md §7 steps 4–6): the result a read returns, its causal context,
 * the not-found rule and which repliers need read repair. Pure: callers hand in decoded versions.
 */

export type ConflictMode = 'lww' | 'siblings';

/** One replica's answer: its stored versions (tombstones included) and its write-id memory. */
export interface ReplicaReply {
  readonly nodeId: string;
  readonly versions: readonly Version[];
  readonly recentWriteIds?: readonly Buffer[];
}

export interface Reconciled {
  /**
   * The reconciled set, tombstones included: `lww` → {the LWW-greatest version}; `siblings` → the maximal set
   * (Reduce, deduplicated by identity). Empty when no replica had a version.
   */
  readonly versions: readonly Version[];
  /** Merge of every clock seen, tombstones included, so a write carrying it supersedes them all. */
  readonly context: Clock;
  /** Live (non-tombstone) members of `versions`, greatest LWW rank first. */
  readonly live: readonly Version[];
  /** The LWW-greatest live version (the read's `value`), if any. */
  readonly winner: Version | undefined;
  /** Every maximal version is a tombstone, or none exists. */
  readonly notFound: boolean;
}

const EMPTY: Reconciled = { versions: [], context: [], live: [], winner: undefined, notFound: true };

/** Reconciles the versions of every reply. */
export function reconcile(replies: readonly ReplicaReply[], mode: ConflictMode): Reconciled {
  const all: Version[] = [];
  let context: Clock = [];
  for (const r of replies) {
    for (const v of r.versions) {
      all.push(v);
      context = mergeClocks(context, v.clock);
    }
  }
  if (all.length === 0) return EMPTY;
  // Reduce is the storage's own merge rule, so the coordinator's result equals what replicas converge to; in
  // `lww` mode versions written before a switch from `siblings` lack the flag, hence the explicit LWW max.
  const reduced = all.length === 1 ? all : reduce(all);
  const versions = mode === 'lww' && reduced.length > 1 ? [lwwMax(reduced)] : reduced;
  const live = versions.filter((v) => !v.tombstone);
  if (live.length > 1) live.sort((a, b) => compareLww(b, a));
  return { versions, context, live, winner: live[0], notFound: live.length === 0 };
}

/** Identity plus content: two versions made by one write are equal in every field. */
export function sameVersion(a: Version, b: Version): boolean {
  return (
    a === b ||
    (a.timestampMs === b.timestampMs &&
      a.tombstone === b.tombstone &&
      a.lww === b.lww &&
      a.writerId === b.writerId &&
      a.writeId.equals(b.writeId) &&
      a.value.equals(b.value) &&
      compareClocks(a.clock, b.clock) === 'EQUAL')
  );
}

/** Whether a replica holding `replica` must get `result` by read repair (its set differs from the result). */
export function needsRepair(replica: readonly Version[], result: readonly Version[]): boolean {
  if (result.length === 0) return false;
  if (replica.length !== result.length) return true;
  for (const v of result) if (!replica.some((r) => sameVersion(r, v))) return true;
  return false;
}

/** Node ids of the repliers whose versions differ from the reconciled result. */
export function repairTargets(replies: readonly ReplicaReply[], result: Reconciled): string[] {
  const out: string[] = [];
  for (const r of replies) if (needsRepair(r.versions, result.versions)) out.push(r.nodeId);
  return out;
}

/**
 * Looks for a write among the replies (cluster.md §6 step 5): the version carrying `writeId`, `true` when only
 * a replica's write-id memory lists it, `undefined` when no replica saw it.
 */
export function findWrite(replies: readonly ReplicaReply[], writeId: Buffer): Version | true | undefined {
  let remembered = false;
  for (const r of replies) {
    for (const v of r.versions) if (v.writeId.equals(writeId)) return v;
    if (!remembered && r.recentWriteIds) for (const id of r.recentWriteIds) if (id.equals(writeId)) remembered = true;
  }
  return remembered ? true : undefined;
}
