import { MAX_LEVEL, type TableMeta } from './manifest-format.js';

/**
 * Compaction picking (storage-engine.md §6 "Shape" and "Picking"), pure: given the table set (ManifestState.tables)
 * and the per-level round-robin cursors, say what to compact next, and decide where a compaction's output splits.
 *
 * Key ranges come from TableMeta as lowercase hex; comparing two such strings orders exactly like Buffer.compare on
 * the bytes (each byte is two fixed-width hex digits, '0'-'9' < 'a'-'f'), so ranges are compared as strings.
 */

const MiB = 1024 * 1024;

export interface CompactionPolicy {
  /** score(L0) = L0 files / l0Trigger. */
  readonly l0Trigger: number;
  /** Target of L1; Ln = l1TargetBytes × multiplier^(n−1). */
  readonly l1TargetBytes: number;
  readonly levelMultiplier: number;
  /** The deepest level; it is unbounded (score 0). */
  readonly maxLevel: number;
  /** Outputs split at this size… */
  readonly targetFileBytes: number;
  /** …or earlier when one output would overlap more than this × targetFileBytes in the level below the output. */
  readonly maxOverlapFactor: number;
  readonly gcGraceMs: number;
}

export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = Object.freeze({
  l0Trigger: 4,
  l1TargetBytes: 256 * MiB,
  levelMultiplier: 10,
  maxLevel: MAX_LEVEL,
  targetFileBytes: 32 * MiB,
  maxOverlapFactor: 10,
  gcGraceMs: 864_000 * 1000,
});

export type Tables = ReadonlyMap<number, readonly TableMeta[]>;

/** Target bytes of level ≥ 1 (L1 256 MiB, ×10 per level); Infinity for the last level. */
export function levelTargetBytes(level: number, policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY): number {
  if (level < 1) throw new RangeError('L0 has a file-count trigger, not a byte target');
  if (level >= policy.maxLevel) return Infinity;
  return policy.l1TargetBytes * policy.levelMultiplier ** (level - 1);
}

export function levelBytes(tables: readonly TableMeta[] | undefined): number {
  let n = 0;
  for (const t of tables ?? []) n += t.size;
  return n;
}

/** score(L0) = files / l0Trigger, score(Ln) = bytes / target (0 for the unbounded last level). */
export function levelScore(tables: Tables, level: number, policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY): number {
  const ts = tables.get(level) ?? [];
  if (level === 0) return ts.length / policy.l0Trigger;
  return levelBytes(ts) / levelTargetBytes(level, policy);
}

/** Inclusive hex key ranges [minKey, maxKey] intersect. */
export function rangesOverlap(aMin: string, aMax: string, bMin: string, bMax: string): boolean {
  return aMin <= bMax && bMin <= aMax;
}

/** Tables of `candidates` whose range intersects [min, max]. */
export function overlapping(candidates: readonly TableMeta[] | undefined, min: string, max: string): TableMeta[] {
  return (candidates ?? []).filter((t) => rangesOverlap(t.minKey, t.maxKey, min, max));
}

/** The union key range of a non-empty list. */
export function keyRange(ts: readonly TableMeta[]): { min: string; max: string } {
  let min = ts[0]!.minKey;
  let max = ts[0]!.maxKey;
  for (const t of ts) {
    if (t.minKey < min) min = t.minKey;
    if (t.maxKey > max) max = t.maxKey;
  }
  return { min, max };
}

export type CompactionPick =
  | {
      readonly kind: 'level';
      readonly level: number;
      readonly outputLevel: number;
      readonly score: number;
      /** Tables of `level` being compacted. */
      readonly inputs: readonly TableMeta[];
      /** Tables of `outputLevel` overlapping the inputs; they are inputs of the merge too. */
      readonly overlapping: readonly TableMeta[];
      /** One input and nothing overlapping: an EDIT (`move`) changes its level, no rewrite. */
      readonly trivialMove: boolean;
      /** New cursor for `level` (the max key of the chosen table; L0 has none). */
      readonly nextCursor: string | undefined;
    }
  | {
      /** §6 tombstone GC: with no score ≥ 1, one table rewritten alone in its level. */
      readonly kind: 'tombstone-gc';
      readonly level: number;
      readonly outputLevel: number;
      readonly inputs: readonly [TableMeta];
      readonly overlapping: readonly [];
      readonly trivialMove: false;
      readonly nextCursor: undefined;
    };

export interface PickOptions {
  readonly policy?: CompactionPolicy;
  /** level → max key (hex) of the table last compacted out of that level (round-robin by key). */
  readonly cursors?: ReadonlyMap<number, string>;
  readonly nowMs?: number;
  /**
   * Files never to use as inputs: `suspect` tables (§6 crash safety: never compacted again), tables another job
   * holds, and tables a tombstone-GC rewrite just produced without purging anything (else it would be picked again
   * and again while a memtable or newer table still holds its keys).
   */
  readonly exclude?: ReadonlySet<number>;
}

/**
 * The next compaction, or undefined when there is nothing to do. The highest score ≥ 1 wins, L0 on ties (lower
 * levels on any tie, as levels are scanned top-down with a strict comparison); a level whose compaction would need an
 * excluded table is passed over for the next best. With no score ≥ 1, the tombstone-GC pick.
 */
export function pickCompaction(tables: Tables, opts: PickOptions = {}): CompactionPick | undefined {
  const policy = opts.policy ?? DEFAULT_COMPACTION_POLICY;
  const exclude = opts.exclude ?? new Set<number>();
  const scored: { level: number; score: number }[] = [];
  for (let level = 0; level < policy.maxLevel; level++) {
    const score = levelScore(tables, level, policy);
    if (score >= 1) scored.push({ level, score });
  }
  // Stable sort: equal scores keep top-down order, so L0 wins ties.
  scored.sort((a, b) => b.score - a.score);
  for (const { level, score } of scored) {
    const pick = level === 0 ? pickL0(tables, score, exclude) : pickLevel(tables, level, score, opts.cursors?.get(level), exclude);
    if (pick) return pick;
  }
  return pickTombstoneGc(tables, policy, opts.nowMs ?? Date.now(), exclude);
}

function anyExcluded(ts: readonly TableMeta[], exclude: ReadonlySet<number>): boolean {
  return ts.some((t) => exclude.has(t.file));
}

function pickL0(tables: Tables, score: number, exclude: ReadonlySet<number>): CompactionPick | undefined {
  const l0 = tables.get(0) ?? [];
  // An excluded L0 table is left behind: reads merge every L0 table, so order among levels does not matter for
  // correctness (versions are merged, never shadowed).
  const inputs = l0.filter((t) => !exclude.has(t.file));
  if (inputs.length === 0) return undefined;
  const { min, max } = keyRange(inputs);
  const over = overlapping(tables.get(1), min, max);
  // An excluded L1 table cannot be rewritten, and leaving it would make L1 overlap the output.
  if (anyExcluded(over, exclude)) return undefined;
  return {
    kind: 'level',
    level: 0,
    outputLevel: 1,
    score,
    inputs,
    overlapping: over,
    trivialMove: inputs.length === 1 && over.length === 0,
    nextCursor: undefined,
  };
}

function pickLevel(
  tables: Tables,
  level: number,
  score: number,
  cursor: string | undefined,
  exclude: ReadonlySet<number>,
): CompactionPick | undefined {
  const run = [...(tables.get(level) ?? [])].sort((a, b) => (a.minKey < b.minKey ? -1 : a.minKey > b.minKey ? 1 : 0));
  if (run.length === 0) return undefined;
  // Round-robin by key: the first table starting after the cursor, wrapping to the start of the level.
  let start = cursor === undefined ? 0 : run.findIndex((t) => t.minKey > cursor);
  if (start < 0) start = 0;
  for (let i = 0; i < run.length; i++) {
    const t = run[(start + i) % run.length]!;
    if (exclude.has(t.file)) continue;
    const over = overlapping(tables.get(level + 1), t.minKey, t.maxKey);
    if (anyExcluded(over, exclude)) continue;
    return {
      kind: 'level',
      level,
      outputLevel: level + 1,
      score,
      inputs: [t],
      overlapping: over,
      trivialMove: over.length === 0,
      nextCursor: t.maxKey,
    };
  }
  return undefined;
}

/**
 * §6 tombstone GC: a table whose oldest tombstone passed gc_grace and that no deeper table overlaps (a deeper table
 * could hold a version the tombstone must keep shadowing). The oldest such tombstone first, then the deepest level,
 * then the lowest file number, so the choice is deterministic.
 */
export function pickTombstoneGc(
  tables: Tables,
  policy: CompactionPolicy,
  nowMs: number,
  exclude: ReadonlySet<number> = new Set(),
): CompactionPick | undefined {
  let best: TableMeta | undefined;
  for (const [level, ts] of tables) {
    for (const t of ts) {
      if (t.oldestTombstoneTs === null || exclude.has(t.file)) continue;
      if (!(nowMs - t.oldestTombstoneTs > policy.gcGraceMs)) continue;
      let deeper = false;
      for (const [l2, ts2] of tables) {
        if (l2 > level && overlapping(ts2, t.minKey, t.maxKey).length > 0) {
          deeper = true;
          break;
        }
      }
      if (deeper) continue;
      if (
        !best ||
        t.oldestTombstoneTs < best.oldestTombstoneTs! ||
        (t.oldestTombstoneTs === best.oldestTombstoneTs && (level > best.level || (level === best.level && t.file < best.file)))
      ) {
        best = t;
      }
    }
  }
  if (!best) return undefined;
  return {
    kind: 'tombstone-gc',
    level: best.level,
    outputLevel: best.level,
    inputs: [best],
    overlapping: [],
    trivialMove: false,
    nextCursor: undefined,
  };
}

/**
 * Where a compaction's output tables end (§6 "Outputs split at target_file_bytes, or earlier when one would overlap
 * more than 10 × that in the level below the output"). The writer loop calls `shouldSplitBefore(ckey, bytes)` before
 * adding each key (`bytes` = size of the current output so far); true → finish the current output and start a new one
 * with this key. The overlap of an output is the exact sum of the sizes of the tables of level outputLevel+1 whose
 * range meets [first key of the output, current key]; it only forces a split when the new key brings in another
 * such table, so one huge table below cannot make every key its own output.
 */
export class OutputSplitter {
  readonly #below: readonly { min: Buffer; max: Buffer; size: number }[];
  readonly #targetBytes: number;
  readonly #maxOverlap: number;
  /** First table below whose max ≥ the current output's first key. */
  #lo = 0;
  /** First table below whose min > the last key added. */
  #hi = 0;
  #overlap = 0;
  #empty = true;

  constructor(levelBelowOutput: readonly TableMeta[] | undefined, policy: CompactionPolicy = DEFAULT_COMPACTION_POLICY) {
    this.#below = [...(levelBelowOutput ?? [])]
      .map((t) => ({ min: Buffer.from(t.minKey, 'hex'), max: Buffer.from(t.maxKey, 'hex'), size: t.size }))
      .sort((a, b) => Buffer.compare(a.min, b.min));
    this.#targetBytes = policy.targetFileBytes;
    this.#maxOverlap = policy.maxOverlapFactor * policy.targetFileBytes;
  }

  /** Current output's overlap with the level below, in bytes (for logs and tests). */
  get overlapBytes(): number {
    return this.#overlap;
  }

  shouldSplitBefore(ckey: Buffer, currentOutputBytes: number): boolean {
    if (this.#empty) {
      this.#startAt(ckey);
      return false;
    }
    if (currentOutputBytes >= this.#targetBytes) {
      this.#startAt(ckey);
      return true;
    }
    const before = this.#overlap;
    this.#extendTo(ckey);
    if (this.#overlap > this.#maxOverlap && this.#overlap > before) {
      this.#startAt(ckey);
      return true;
    }
    return false;
  }

  /** A new output begins with `ckey`: drop tables below that end before it, then count the ones it reaches. */
  #startAt(ckey: Buffer): void {
    this.#empty = false;
    const b = this.#below;
    while (this.#lo < b.length && Buffer.compare(b[this.#lo]!.max, ckey) < 0) this.#lo++;
    if (this.#hi < this.#lo) this.#hi = this.#lo;
    this.#overlap = 0;
    for (let i = this.#lo; i < this.#hi; i++) this.#overlap += b[i]!.size;
    this.#extendTo(ckey);
  }

  #extendTo(ckey: Buffer): void {
    const b = this.#below;
    while (this.#hi < b.length && Buffer.compare(b[this.#hi]!.min, ckey) <= 0) {
      this.#overlap += b[this.#hi]!.size;
      this.#hi++;
    }
  }
}
