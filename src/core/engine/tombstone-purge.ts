import type { Version } from '../model/version.js';
import type { PurgeFn } from './merge-iterator.js';

/**
 * The tombstone purge rule of storage-engine.md §6. A tombstone t is dropped only if both hold:
 *   1. now_ms − t.timestamp_ms > gc_grace (strictly: at exactly gc_grace it stays);
 *   2. no memtable and no table outside the compaction's inputs, at any level, may hold the ckey.
 * Condition 2 is the caller's `mayExistOutside(ckey)` (memtables by lookup, other tables by key range then bloom):
 * versions are merged, never shadowed, so a stale version the tombstone dominates may sit in a NEWER table as well
 * as a deeper one; dropping the tombstone while such a version exists would resurrect it.
 *
 * Dominated versions and LWW losers need no rule here: Reduce already removed them, and every read applies the same
 * Reduce. Only tombstones are dropped; a value sibling of a purged tombstone stays.
 */

/** gc_grace_seconds default (§6): 10 days. */
export const DEFAULT_GC_GRACE_MS = 864_000 * 1000;

/** Condition 1 alone: the tombstone is older than gc_grace. Also the §8 scan/digest skip rule. */
export function isExpiredTombstone(v: Version, nowMs: number, gcGraceMs: number): boolean {
  return v.tombstone && nowMs - v.timestampMs > gcGraceMs;
}

/** `versions` without the tombstones past gc_grace; the same array when none is (callers may test identity). */
export function withoutExpiredTombstones(versions: readonly Version[], nowMs: number, gcGraceMs: number): readonly Version[] {
  let any = false;
  for (const v of versions) {
    if (isExpiredTombstone(v, nowMs, gcGraceMs)) {
      any = true;
      break;
    }
  }
  return any ? versions.filter((v) => !isExpiredTombstone(v, nowMs, gcGraceMs)) : versions;
}

export interface TombstonePurgeOptions {
  readonly nowMs: number;
  readonly gcGraceMs: number;
  /**
   * Whether the ckey may exist in a memtable or in a table that is not an input of this compaction (any level).
   * A false positive only keeps a tombstone longer; a false negative can resurrect data. Called only for keys that
   * hold an expired tombstone, so bloom checks are not paid for every key.
   */
  readonly mayExistOutside: (ckey: Buffer) => boolean;
}

/** Applies the rule to one key's Reduce-d set; returns the same array when nothing is dropped. */
export function purgeTombstones(ckey: Buffer, versions: readonly Version[], opts: TombstonePurgeOptions): readonly Version[] {
  const kept = withoutExpiredTombstones(versions, opts.nowMs, opts.gcGraceMs);
  if (kept === versions) return versions;
  return opts.mayExistOutside(ckey) ? versions : kept;
}

/** The rule as a mergeIterator `purge` callback; counts what it dropped in `stats` (tombstones_purged_total). */
export function tombstonePurge(opts: TombstonePurgeOptions, stats?: { purged: number }): PurgeFn {
  return (ckey, versions) => {
    const out = purgeTombstones(ckey, versions, opts);
    if (stats && out !== versions) stats.purged += versions.length - out.length;
    return out;
  };
}
