import { describe, expect, it } from 'vitest';
import {
  type CompactionPolicy,
  DEFAULT_COMPACTION_POLICY,
  OutputSplitter,
  levelScore,
  levelTargetBytes,
  pickCompaction,
  pickTombstoneGc,
} from '../../../src/core/engine/compaction-picker.js';
import type { TableMeta } from '../../../src/core/engine/manifest-format.js';

const MiB = 1024 * 1024;
const DAY = 86_400_000;
const NOW = 1_700_000_000_000;

let nextFile = 100;
/** A table over ckeys `acme\0<min>` .. `acme\0<max>`. */
function table(level: number, min: string, max: string, size: number, extra: Partial<TableMeta> = {}): TableMeta {
  const hex = (k: string): string => Buffer.from(`acme\0${k}`).toString('hex');
  return { file: nextFile++, level, size, minKey: hex(min), maxKey: hex(max), keys: 10, tombstones: 0, oldestTombstoneTs: null, ...extra };
}

function levels(...ts: TableMeta[]): Map<number, TableMeta[]> {
  const m = new Map<number, TableMeta[]>();
  for (const t of ts) m.set(t.level, [...(m.get(t.level) ?? []), t]);
  return m;
}

const files = (ts: readonly TableMeta[]): number[] => ts.map((t) => t.file).sort((a, b) => a - b);

describe('level targets and scores', () => {
  it('L1 256 MiB, ×10 per level, L6 unbounded; parameters respected', () => {
    expect(levelTargetBytes(1)).toBe(256 * MiB);
    expect(levelTargetBytes(2)).toBe(2560 * MiB);
    expect(levelTargetBytes(5)).toBe(256 * MiB * 10_000);
    expect(levelTargetBytes(6)).toBe(Infinity);
    const small: CompactionPolicy = { ...DEFAULT_COMPACTION_POLICY, l1TargetBytes: 1000, levelMultiplier: 4, maxLevel: 3 };
    expect(levelTargetBytes(2, small)).toBe(4000);
    expect(levelTargetBytes(3, small)).toBe(Infinity);
    expect(() => levelTargetBytes(0)).toThrow(RangeError);
  });

  it('score(L0) = files / 4, score(Ln) = bytes / target, last level 0', () => {
    const t = levels(table(0, 'a', 'b', 1), table(0, 'a', 'c', 1), table(0, 'b', 'd', 1), table(1, 'a', 'z', 128 * MiB), table(6, 'a', 'z', 10_000 * MiB));
    expect(levelScore(t, 0)).toBe(0.75);
    expect(levelScore(t, 1)).toBe(0.5);
    expect(levelScore(t, 2)).toBe(0);
    expect(levelScore(t, 6)).toBe(0);
  });
});

describe('pickCompaction', () => {
  it('nothing to do below every trigger and without expired tombstones', () => {
    expect(pickCompaction(new Map(), { nowMs: NOW })).toBeUndefined();
    expect(pickCompaction(levels(table(0, 'a', 'b', 1), table(1, 'a', 'z', MiB)), { nowMs: NOW })).toBeUndefined();
  });

  it('L0 → L1: all L0 tables and every overlapping L1 table (not the others)', () => {
    const l0 = [table(0, 'c', 'f', MiB), table(0, 'd', 'e', MiB), table(0, 'e', 'h', MiB), table(0, 'g', 'g', MiB)];
    const l1a = table(1, 'a', 'b', MiB);
    const l1b = table(1, 'b1', 'd', MiB);
    const l1c = table(1, 'h', 'k', MiB);
    const l1d = table(1, 'm', 'p', MiB);
    const p = pickCompaction(levels(...l0, l1a, l1b, l1c, l1d), { nowMs: NOW })!;
    expect(p.kind).toBe('level');
    expect(p.level).toBe(0);
    expect(p.outputLevel).toBe(1);
    expect(files(p.inputs)).toEqual(files(l0));
    expect(files(p.overlapping)).toEqual(files([l1b, l1c]));
    expect(p.trivialMove).toBe(false);
  });

  it('the highest score wins; L0 wins a tie', () => {
    const l0 = [table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1)]; // score 1
    const l1Tie = table(1, 'a', 'z', 256 * MiB); // score 1
    expect(pickCompaction(levels(...l0, l1Tie), { nowMs: NOW })!.level).toBe(0);
    const l1High = table(1, 'a', 'z', 300 * MiB); // score > 1
    expect(pickCompaction(levels(...l0, l1High), { nowMs: NOW })!.level).toBe(1);
    const l2Higher = table(2, 'a', 'z', 2560 * MiB * 2); // score 2
    expect(pickCompaction(levels(...l0, l1High, l2Higher), { nowMs: NOW })!.level).toBe(2);
  });

  it('Ln → Ln+1 takes the table after the cursor (round-robin, wrapping) plus overlapping Ln+1 tables', () => {
    const a = table(1, 'a', 'c', 100 * MiB);
    const b = table(1, 'd', 'f', 100 * MiB);
    const c = table(1, 'g', 'i', 100 * MiB);
    const below = [table(2, 'a', 'b', MiB), table(2, 'e', 'e1', MiB), table(2, 'e2', 'h', MiB), table(2, 'x', 'z', MiB)];
    const t = levels(a, b, c, ...below);
    const p1 = pickCompaction(t, { nowMs: NOW })!;
    expect(files(p1.inputs)).toEqual([a.file]);
    expect(files(p1.overlapping)).toEqual([below[0]!.file]);
    expect(p1.nextCursor).toBe(a.maxKey);
    const p2 = pickCompaction(t, { nowMs: NOW, cursors: new Map([[1, p1.nextCursor!]]) })!;
    expect(files(p2.inputs)).toEqual([b.file]);
    expect(files(p2.overlapping)).toEqual(files([below[1]!, below[2]!]));
    const p3 = pickCompaction(t, { nowMs: NOW, cursors: new Map([[1, p2.nextCursor!]]) })!;
    expect(files(p3.inputs)).toEqual([c.file]);
    const p4 = pickCompaction(t, { nowMs: NOW, cursors: new Map([[1, p3.nextCursor!]]) })!;
    expect(files(p4.inputs)).toEqual([a.file]); // wrapped
  });

  it('trivial move: one input, nothing overlapping below (also a single L0 table)', () => {
    const a = table(1, 'a', 'c', 300 * MiB);
    const p = pickCompaction(levels(a, table(2, 'x', 'z', MiB)), { nowMs: NOW })!;
    expect(p.trivialMove).toBe(true);
    expect(p.overlapping).toEqual([]);
    const one = pickCompaction(levels(table(0, 'a', 'b', MiB)), { nowMs: NOW, policy: { ...DEFAULT_COMPACTION_POLICY, l0Trigger: 1 } })!;
    expect(one.level).toBe(0);
    expect(one.trivialMove).toBe(true);
    const two = pickCompaction(levels(table(0, 'a', 'b', MiB), table(0, 'x', 'y', MiB)), { nowMs: NOW, policy: { ...DEFAULT_COMPACTION_POLICY, l0Trigger: 2 } })!;
    expect(two.trivialMove).toBe(false);
  });

  it('excluded (suspect or busy) tables are never inputs; a level needing one is passed over', () => {
    const a = table(1, 'a', 'c', 150 * MiB);
    const b = table(1, 'd', 'f', 150 * MiB);
    const p = pickCompaction(levels(a, b), { nowMs: NOW, exclude: new Set([a.file]) })!;
    expect(files(p.inputs)).toEqual([b.file]);
    const under = table(2, 'a', 'z', MiB);
    expect(pickCompaction(levels(a, b, under), { nowMs: NOW, exclude: new Set([under.file]) })).toBeUndefined();
    const l0 = [table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1)];
    const q = pickCompaction(levels(...l0), { nowMs: NOW, exclude: new Set([l0[0]!.file]) })!;
    expect(files(q.inputs)).toEqual(files(l0.slice(1)));
  });

  describe('tombstone GC pick (no score ≥ 1)', () => {
    const grace = DEFAULT_COMPACTION_POLICY.gcGraceMs;

    it('picks a table whose oldest tombstone passed gc_grace and that no deeper table overlaps, rewritten in place', () => {
      const expired = table(2, 'a', 'c', MiB, { tombstones: 3, oldestTombstoneTs: NOW - grace - 1 });
      const p = pickCompaction(levels(expired, table(3, 'x', 'z', MiB)), { nowMs: NOW })!;
      expect(p.kind).toBe('tombstone-gc');
      expect(p.level).toBe(2);
      expect(p.outputLevel).toBe(2);
      expect(files(p.inputs)).toEqual([expired.file]);
    });

    it('not at exactly gc_grace, not when a deeper table overlaps, not for a tombstone-free table', () => {
      const atGrace = table(1, 'a', 'c', MiB, { tombstones: 1, oldestTombstoneTs: NOW - grace });
      expect(pickCompaction(levels(atGrace), { nowMs: NOW })).toBeUndefined();
      const shadowed = table(1, 'a', 'c', MiB, { tombstones: 1, oldestTombstoneTs: NOW - 20 * DAY });
      expect(pickCompaction(levels(shadowed, table(4, 'b', 'b', MiB)), { nowMs: NOW })).toBeUndefined();
      expect(pickCompaction(levels(table(1, 'a', 'c', MiB)), { nowMs: NOW })).toBeUndefined();
    });

    it('oldest tombstone first; a score ≥ 1 wins over it; excluded tables are skipped', () => {
      const older = table(1, 'a', 'c', MiB, { tombstones: 1, oldestTombstoneTs: NOW - 30 * DAY });
      const newer = table(1, 'd', 'f', MiB, { tombstones: 1, oldestTombstoneTs: NOW - 20 * DAY });
      expect(files(pickTombstoneGc(levels(newer, older), DEFAULT_COMPACTION_POLICY, NOW)!.inputs)).toEqual([older.file]);
      expect(files(pickCompaction(levels(newer, older), { nowMs: NOW, exclude: new Set([older.file]) })!.inputs)).toEqual([newer.file]);
      const l0 = [table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1), table(0, 'a', 'b', 1)];
      expect(pickCompaction(levels(older, ...l0), { nowMs: NOW })!.kind).toBe('level');
    });
  });
});

describe('OutputSplitter', () => {
  const policy: CompactionPolicy = { ...DEFAULT_COMPACTION_POLICY, targetFileBytes: 1000, maxOverlapFactor: 10 };
  const k = (s: string): Buffer => Buffer.from(`acme\0${s}`);

  it('splits when the current output reached target_file_bytes', () => {
    const s = new OutputSplitter([], policy);
    expect(s.shouldSplitBefore(k('a'), 0)).toBe(false);
    expect(s.shouldSplitBefore(k('b'), 999)).toBe(false);
    expect(s.shouldSplitBefore(k('c'), 1000)).toBe(true);
    expect(s.shouldSplitBefore(k('d'), 10)).toBe(false);
  });

  it('splits earlier when the output would overlap more than 10 × target below', () => {
    const below = [table(2, 'b', 'c', 4000), table(2, 'd', 'e', 4000), table(2, 'f', 'g', 4000), table(2, 'h', 'i', 4000)];
    const s = new OutputSplitter(below, policy);
    expect(s.shouldSplitBefore(k('a'), 0)).toBe(false); // overlaps nothing
    expect(s.shouldSplitBefore(k('b5'), 10)).toBe(false); // 4000
    expect(s.shouldSplitBefore(k('d5'), 20)).toBe(false); // 8000
    expect(s.overlapBytes).toBe(8000);
    expect(s.shouldSplitBefore(k('f5'), 30)).toBe(true); // would be 12000 > 10000
    expect(s.overlapBytes).toBe(4000); // the new output starts inside f..g
    expect(s.shouldSplitBefore(k('h5'), 10)).toBe(false); // 8000
    expect(s.shouldSplitBefore(k('z'), 20)).toBe(false); // nothing new below
  });

  it('one huge table below does not split every key', () => {
    const s = new OutputSplitter([table(2, 'a', 'z', 50_000)], policy);
    expect(s.shouldSplitBefore(k('b'), 0)).toBe(false);
    expect(s.shouldSplitBefore(k('c'), 10)).toBe(false);
    expect(s.shouldSplitBefore(k('d'), 20)).toBe(false);
    expect(s.overlapBytes).toBe(50_000);
  });
});
