import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyPosition } from '../../../src/core/cluster/ring.js';
import { type MergeEntry, mergeIterator } from '../../../src/core/engine/merge-iterator.js';
import {
  EMPTY_LEAF,
  RangeDigestBuilder,
  ckeyPosition,
  ckeyTenant,
  differingLeaves,
  entryHash,
  inRingRange,
  leafBounds,
  leafIndex,
  leafWidth,
  merkleRoot,
  rangeDigest,
  ringRangeFilter,
  ringRangeLength,
} from '../../../src/core/engine/range-digest.js';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { encodeVersionSet } from '../../../src/core/model/version-codec.js';
import { ver } from './helpers.js';
import { ckey, prng } from './sstable-helpers.js';

const NOW = 1_700_000_000_000;
const GRACE = 864_000_000;
const MAX = (1n << 64n) - 1n;
const opts = { nowMs: NOW, gcGraceMs: GRACE };

describe('ring ranges', () => {
  it('cluster.md §14 example: [1139234802781762914, 8875426086074265852), D = 10 → w = 7554874300090335, acme:a in leaf 373', () => {
    const s = 1139234802781762914n;
    const e = 8875426086074265852n;
    expect(ringRangeLength(s, e)).toBe(7736191283292502938n);
    expect(leafWidth(s, e, 10)).toBe(7554874300090335n);
    expect(ckeyPosition(ckey('acme', 'a'))).toBe(3964502652775815663n);
    expect(ckeyPosition(ckey('acme', 'a'))).toBe(keyPosition('acme', 'a'));
    expect(leafIndex(ckeyPosition(ckey('acme', 'a')), s, e, 10)).toBe(373);
    const b = new RangeDigestBuilder(s, e, { ...opts, depth: 10 });
    expect(b.add(ckey('acme', 'a'), [ver({})])).toBe(373);
  });

  it('ckey positions match the ring for unicode keys, and tenant extraction', () => {
    expect(ckeyPosition(ckey('t-1', 'ü:x/é'))).toBe(keyPosition('t-1', 'ü:x/é'));
    expect(ckeyTenant(ckey('globex', 'a\u{1F600}'))).toBe('globex');
    expect(() => ckeyPosition(Buffer.from('no-separator'))).toThrow(RangeError);
  });

  it('start < end is [start, end); start > end wraps; start = end is the whole ring', () => {
    expect(inRingRange(10n, 10n, 20n)).toBe(true);
    expect(inRingRange(19n, 10n, 20n)).toBe(true);
    expect(inRingRange(20n, 10n, 20n)).toBe(false);
    expect(inRingRange(9n, 10n, 20n)).toBe(false);
    expect(inRingRange(MAX, 100n, 5n)).toBe(true);
    expect(inRingRange(0n, 100n, 5n)).toBe(true);
    expect(inRingRange(5n, 100n, 5n)).toBe(false);
    expect(inRingRange(50n, 100n, 5n)).toBe(false);
    expect(inRingRange(0n, 7n, 7n)).toBe(true);
    expect(inRingRange(MAX, 7n, 7n)).toBe(true);
    expect(ringRangeLength(100n, 5n)).toBe((1n << 64n) - 95n);
    expect(ringRangeLength(3n, 3n)).toBe(1n << 64n);
    expect(() => ringRangeLength(-1n, 3n)).toThrow(RangeError);
    expect(() => ringRangeLength(0n, 1n << 64n)).toThrow(RangeError);
  });

  it('ringRangeFilter agrees with inRingRange and filters tenants (empty list = all)', () => {
    const keys = Array.from({ length: 200 }, (_, i) => ckey(i % 3 === 0 ? 'acme' : 'globex', `k${i}`));
    const s = 0xc000000000000000n;
    const e = 0x4000000000000000n; // wraps
    const f = ringRangeFilter(s, e);
    const inside = keys.filter(f);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(keys.length);
    for (const k of keys) {
      const p = ckeyPosition(k);
      expect(f(k)).toBe(p >= s || p < e);
    }
    const acmeOnly = ringRangeFilter(5n, 5n, ['acme']);
    expect(keys.filter(acmeOnly)).toEqual(keys.filter((k) => ckeyTenant(k) === 'acme'));
  });

  it('leaves tile the range: widths, bounds, last leaf ends at end, whole ring of 2^(64−D)', () => {
    expect(leafWidth(0n, 0n, 10)).toBe(1n << 54n);
    expect(leafWidth(0n, 0n, 0)).toBe(1n << 64n);
    expect(leafWidth(0n, 1000n, 4)).toBe(63n); // ceil(1000/16)
    expect(leafBounds(15, 0n, 1000n, 4)).toEqual({ start: 945n, end: 1000n });
    expect(leafBounds(0, MAX - 9n, 10n, 1)).toEqual({ start: MAX - 9n, end: 0n });
    expect(leafBounds(1, MAX - 9n, 10n, 1)).toEqual({ start: 0n, end: 10n });
    expect(leafIndex(MAX, MAX - 9n, 10n, 1)).toBe(0);
    expect(leafIndex(0n, MAX - 9n, 10n, 1)).toBe(1);
    expect(leafIndex(10n, MAX - 9n, 10n, 1)).toBeUndefined();
    const rand = prng(3);
    for (let i = 0; i < 200; i++) {
      const s = BigInt(Math.floor(rand() * 2 ** 32)) << 32n;
      const e = BigInt(Math.floor(rand() * 2 ** 32)) << 32n;
      const p = ckeyPosition(ckey('acme', `x${i}`));
      const leaf = leafIndex(p, s, e, 6);
      if (leaf === undefined) {
        expect(inRingRange(p, s, e)).toBe(false);
        continue;
      }
      expect(leaf).toBeLessThan(64);
      const b = leafBounds(leaf, s, e, 6);
      expect(inRingRange(p, b.start, b.end)).toBe(true);
    }
    expect(() => leafWidth(0n, 0n, 17)).toThrow(RangeError);
    expect(() => leafWidth(0n, 0n, 1.5)).toThrow(RangeError);
  });
});

describe('range digests', () => {
  it('entry, leaf and root hashing follow §8 (count u64 LE, empty leaf zero, parent = H(left ‖ right))', async () => {
    const k = ckey('acme', 'a');
    const set = [ver({ value: '"1"' })];
    const eh = createHash('sha256').update(Buffer.from([k.length])).update(k).update(encodeVersionSet(set)).digest();
    expect(entryHash(k, set)).toEqual(eh);
    const d = await rangeDigest([{ ckey: k, versions: set }], 0n, 0n, { ...opts, depth: 1 });
    const leaf = leafIndex(ckeyPosition(k), 0n, 0n, 1)!;
    const count = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const expectedLeaf = createHash('sha256').update(count).update(eh).digest();
    expect(d.leaves[leaf]).toEqual(expectedLeaf);
    expect(d.leaves[1 - leaf]).toEqual(EMPTY_LEAF);
    expect(d.counts[leaf]).toBe(1);
    expect(d.keyCount).toBe(1);
    const [l, r] = leaf === 0 ? [expectedLeaf, EMPTY_LEAF] : [EMPTY_LEAF, expectedLeaf];
    expect(d.root).toEqual(createHash('sha256').update(l).update(r).digest());
    expect(merkleRoot([EMPTY_LEAF])).toEqual(EMPTY_LEAF);
  });

  it('an empty range has 2^depth zero leaves', async () => {
    const d = await rangeDigest([], 5n, 6n, { ...opts, depth: 3 });
    expect(d.leaves).toHaveLength(8);
    expect(d.leaves.every((l) => l.equals(EMPTY_LEAF))).toBe(true);
    expect(d.keyCount).toBe(0);
  });

  /** Random writes over a key space; returns them in write order. */
  function randomWrites(seed: number): { ckey: Buffer; v: Version }[] {
    const rand = prng(seed);
    const out: { ckey: Buffer; v: Version }[] = [];
    const n = 50 + Math.floor(rand() * 200);
    for (let i = 0; i < n; i++) {
      const k = ckey(['acme', 'globex'][Math.floor(rand() * 2)]!, `k${Math.floor(rand() * 80)}`);
      const old = rand() < 0.1; // a tombstone past gc_grace
      const tombstone = old || rand() < 0.2;
      const ht = old ? (NOW - GRACE - 1000) * 1000 : (NOW - Math.floor(rand() * 1000)) * 1000 + i;
      out.push({ ckey: k, v: ver({ writer: `c${1 + Math.floor(rand() * 3)}`, ht, tombstone, value: `"${i}"` }) });
    }
    return out;
  }

  /** Splits writes into "flushed tables" at random cut points, each table Reduce-d per key and sorted. */
  function flushHistory(writes: readonly { ckey: Buffer; v: Version }[], rand: () => number): MergeEntry[][] {
    const tables: MergeEntry[][] = [];
    let cur = new Map<string, Version[]>();
    const flush = (): void => {
      if (cur.size === 0) return;
      tables.push(
        [...cur.entries()]
          .map(([k, vs]) => ({ ckey: Buffer.from(k, 'hex'), versions: reduce(vs) }))
          .sort((a, b) => Buffer.compare(a.ckey, b.ckey)),
      );
      cur = new Map();
    };
    for (const w of writes) {
      const h = w.ckey.toString('hex');
      cur.set(h, [...(cur.get(h) ?? []), w.v]);
      if (rand() < 0.05) flush();
    }
    flush();
    // Some "compactions": merge a random pair of tables into one.
    while (tables.length > 2 && rand() < 0.5) {
      const i = Math.floor(rand() * (tables.length - 1));
      const merged: MergeEntry[] = [];
      const m = new Map<string, Version[]>();
      for (const t of [tables[i]!, tables[i + 1]!]) for (const e of t) m.set(e.ckey.toString('hex'), [...(m.get(e.ckey.toString('hex')) ?? []), ...e.versions]);
      for (const [k, vs] of m) merged.push({ ckey: Buffer.from(k, 'hex'), versions: reduce(vs) });
      merged.sort((a, b) => Buffer.compare(a.ckey, b.ckey));
      tables.splice(i, 2, merged);
    }
    return tables;
  }

  it('equal logical content gives equal digests whatever the flush/compaction history (wrapping, whole ring, tenants)', async () => {
    const ranges: [bigint, bigint][] = [
      [0n, 0n],
      [0xf000000000000000n, 0x9000000000000000n],
      [0x2000000000000000n, 0xa000000000000000n],
    ];
    for (let seed = 1; seed <= 20; seed++) {
      const writes = randomWrites(seed);
      const rand = prng(seed * 7919);
      const h1 = flushHistory(writes, rand);
      const h2 = flushHistory([...writes].reverse(), rand); // another arrival order, another layout
      for (const [s, e] of ranges) {
        for (const tenants of [[], ['acme']]) {
          const o = { ...opts, depth: 4, tenants };
          const d1 = await rangeDigest(mergeIterator(h1, { nowMs: NOW }), s, e, o);
          const d2 = await rangeDigest(mergeIterator(h2, { nowMs: NOW }), s, e, o);
          expect(d2.root, `seed ${seed}`).toEqual(d1.root);
          expect(d2.counts).toEqual(d1.counts);
        }
      }
    }
  });

  it('a changed key changes exactly its own leaf; expired tombstones are skipped', async () => {
    const writes = randomWrites(5);
    const tables = flushHistory(writes, prng(11));
    const base = await rangeDigest(mergeIterator(tables, { nowMs: NOW }), 0n, 0n, { ...opts, depth: 6 });
    const extra = ckey('acme', 'new-key');
    const changed = await rangeDigest(mergeIterator([...tables, [{ ckey: extra, versions: [ver({ value: '"x"' })] }]], { nowMs: NOW }), 0n, 0n, {
      ...opts,
      depth: 6,
    });
    expect(differingLeaves(base, changed)).toEqual([leafIndex(ckeyPosition(extra), 0n, 0n, 6)]);
    expect(changed.keyCount).toBe(base.keyCount + 1);
    // A key holding only a tombstone past gc_grace contributes nothing.
    const expired = ver({ ht: (NOW - GRACE - 1) * 1000, tombstone: true });
    const withExpired = await rangeDigest(mergeIterator([...tables, [{ ckey: extra, versions: [expired] }]], { nowMs: NOW }), 0n, 0n, { ...opts, depth: 6 });
    expect(differingLeaves(base, withExpired)).toEqual([]);
    // A tombstone just inside gc_grace counts.
    const fresh = ver({ ht: (NOW - GRACE) * 1000, tombstone: true });
    const withFresh = await rangeDigest(mergeIterator([...tables, [{ ckey: extra, versions: [fresh] }]], { nowMs: NOW }), 0n, 0n, { ...opts, depth: 6 });
    expect(differingLeaves(base, withFresh)).toHaveLength(1);
  });

  it('keys outside the range or of unlisted tenants are ignored', () => {
    const b = new RangeDigestBuilder(10n, 20n, { ...opts, depth: 2 });
    expect(b.add(ckey('acme', 'a'), [ver({})])).toBeUndefined(); // position 3964502652775815663 is outside
    const t = new RangeDigestBuilder(0n, 0n, { ...opts, depth: 2, tenants: ['globex'] });
    expect(t.add(ckey('acme', 'a'), [ver({})])).toBeUndefined();
    expect(t.add(ckey('globex', 'a'), [ver({})])).toBeTypeOf('number');
    expect(t.finish().keyCount).toBe(1);
  });
});
