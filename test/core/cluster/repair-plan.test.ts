import { describe, expect, it } from 'vitest';
import { RangeDigestBuilder, ckeyPosition, leafIndex } from '../../../src/core/engine/range-digest.js';
import { encodeCkey } from '../../../src/core/engine/memtable.js';
import { clipItems, intersectRange, itemLength, leafRanges, mismatchedLeaves, repairItems, repairWrites } from '../../../src/core/cluster/repair-plan.js';
import { Ring } from '../../../src/core/cluster/ring.js';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { encs, ver } from '../engine/helpers.js';

/** Anti-entropy planning (cluster.md §14): items, leaf comparison, leaf ranges, reconciled writes. */

const ring = new Ring([
  { nodeId: 's1', virtualNodes: 8 },
  { nodeId: 's2', virtualNodes: 8 },
  { nodeId: 's3', virtualNodes: 8 },
  { nodeId: 's4', virtualNodes: 8 },
]);

describe('repair planning', () => {
  it('items tile the whole ring once, each with the preference list of every position inside it', () => {
    const items = repairItems(ring, 3);
    expect(items.reduce((n, it) => n + itemLength(it), 0n)).toBe(1n << 64n);
    for (const it of items) {
      for (const off of [0n, itemLength(it) / 2n, itemLength(it) - 1n]) {
        const pos = (it.start + off) % (1n << 64n);
        expect(ring.preferenceListAt(pos, 3)).toEqual(it.replicas);
      }
    }
    // Adjacent items differ (else they would have been merged).
    for (let i = 1; i < items.length; i++) expect(items[i - 1]!.replicas).not.toEqual(items[i]!.replicas);
    const s4 = repairItems(ring, 3, 's4');
    expect(s4.length).toBeGreaterThan(0);
    expect(s4.every((it) => it.replicas.includes('s4'))).toBe(true);
    expect(s4.length).toBeLessThan(items.length);
    // A one-node ring is one item: the whole ring.
    const one = repairItems(new Ring([{ nodeId: 'a', virtualNodes: 3 }]), 1);
    expect(one).toHaveLength(1);
    expect(itemLength(one[0]!)).toBe(1n << 64n);
  });

  it('finds the leaves that differ and turns them into scan ranges holding exactly the differing keys', () => {
    const item = repairItems(ring, 3)[0]!;
    const base = Date.UTC(2030, 0, 1) * 1000;
    const keys = Array.from({ length: 400 }, (_, i) => encodeCkey('acme', `k${i}`)).filter((c) => leafIndex(ckeyPosition(c), item.start, item.end, 6) !== undefined);
    expect(keys.length).toBeGreaterThan(3);
    const digest = (skip: number) => {
      const b = new RangeDigestBuilder(item.start, item.end, { depth: 6, nowMs: Date.now(), gcGraceMs: 1e12 });
      keys.forEach((c, i) => i !== skip && b.add(c, [ver({ ht: base + i, value: `"${i}"` })]));
      return b.finish();
    };
    const full = digest(-1);
    const missingOne = digest(2);
    expect(mismatchedLeaves([full, full])).toEqual([]);
    const diff = mismatchedLeaves([full, missingOne, full]);
    const leaf = leafIndex(ckeyPosition(keys[2]!), item.start, item.end, 6)!;
    expect(diff).toEqual([leaf]);
    const [r] = leafRanges(item, 6, diff);
    const pos = ckeyPosition(keys[2]!);
    expect((pos - r!.start + (1n << 64n)) % (1n << 64n) < (r!.end - r!.start + (1n << 64n)) % (1n << 64n) || r!.start === r!.end).toBe(true);
    // Adjacent leaves merge into one range.
    expect(leafRanges(item, 6, [3, 4, 5, 9])).toHaveLength(2);
  });

  it('sends each replica the reconciled set of every key it lacks or holds differently', () => {
    const a = ver({ writer: 'c1', ht: 1_700_000_000_000_001, value: '"a"' });
    const b = ver({ writer: 'c2', ht: 1_700_000_000_000_002, value: '"b"' });
    const tomb = ver({ writer: 'c1', ht: 1_700_000_000_000_009, tombstone: true });
    const perReplica = new Map<string, Map<string, readonly Version[]>>([
      ['s1', new Map([['k1', [a]], ['k2', [tomb]]])],
      ['s2', new Map([['k1', reduce([a, b])]])],
      ['s3', new Map([['k1', reduce([a, b])], ['k2', [tomb]]])],
    ]);
    const w = repairWrites(perReplica);
    expect(w.get('s1')!.map((x) => [x.ckeyHex, encs(x.versions).sort()])).toEqual([['k1', encs(reduce([a, b])).sort()]]);
    // s2 missed the delete: it gets the tombstone (deletes are repaired like any version).
    expect(w.get('s2')!.map((x) => [x.ckeyHex, encs(x.versions)])).toEqual([['k2', encs([tomb])]]);
    expect(w.get('s3')).toEqual([]);
  });

  describe('--range restriction', () => {
    const TOP = (1n << 64n) - 1n;
    const r = (start: bigint, end: bigint) => ({ start, end });

    it('intersects plain, wrapping and whole-ring ranges', () => {
      expect(intersectRange(r(10n, 100n), r(50n, 200n))).toEqual([r(50n, 100n)]);
      expect(intersectRange(r(10n, 100n), r(200n, 300n))).toEqual([]);
      // A range wrapping over the top meets one that does not, on both sides of 0.
      expect(intersectRange(r(TOP - 5n, 20n), r(0n, 10n))).toEqual([r(0n, 10n)]);
      expect(intersectRange(r(TOP - 5n, 20n), r(TOP - 2n, 5n))).toEqual([r(TOP - 2n, 5n)]);
      // Whole ring (start = end) on either side.
      expect(intersectRange(r(7n, 7n), r(3n, 9n))).toEqual([r(3n, 9n)]);
      expect(intersectRange(r(3n, 9n), r(0n, 0n))).toEqual([r(3n, 9n)]);
      expect(intersectRange(r(0n, 0n), r(5n, 5n))).toEqual([r(0n, 0n)]);
      // A nearly-whole wrapping item meets a range across its gap: two pieces, in ring order from the item start.
      expect(intersectRange(r(10n, 5n), r(3n, 12n))).toEqual([r(10n, 12n), r(3n, 5n)]);
      // The end of the ring is exclusive at 2^64 = 0.
      expect(intersectRange(r(TOP, 0n), r(TOP, 1n))).toEqual([r(TOP, 0n)]);
    });

    it('clips the items to the range, keeping the replicas, covering exactly the range', () => {
      const items = repairItems(ring, 3);
      const range = r(1n << 62n, (1n << 63n) + 12345n);
      const clipped = clipItems(items, range);
      expect(clipped.reduce((n, it) => n + itemLength(it), 0n)).toBe(itemLength(range));
      for (const it of clipped) {
        expect((it.start - range.start + (1n << 64n)) % (1n << 64n) < itemLength(range)).toBe(true);
        expect(ring.preferenceListAt(it.start, 3)).toEqual(it.replicas);
        expect(ring.preferenceListAt((it.end - 1n + (1n << 64n)) % (1n << 64n), 3)).toEqual(it.replicas);
      }
      // A range wrapping over the top is covered too, and the whole ring leaves the items alone.
      const wrap = r(TOP - (1n << 60n), 1n << 60n);
      expect(clipItems(items, wrap).reduce((n, it) => n + itemLength(it), 0n)).toBe(itemLength(wrap));
      expect(clipItems(items, r(42n, 42n))).toEqual(items);
      // A range inside one item gives exactly that range.
      const one = items[1]!;
      const inner = r(one.start + 1n, one.start + 2n);
      expect(clipItems(items, inner)).toEqual([{ ...inner, replicas: one.replicas }]);
    });
  });
});
