import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairdbError } from '../../../src/core/errors.js';
import { LruBlockCache } from '../../../src/core/engine/block-cache.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { DataBlock } from '../../../src/core/engine/sstable-format.js';
import { SSTableReader } from '../../../src/core/engine/sstable-reader.js';
import { tempDir } from './helpers.js';
import { prng, randomEntries, writeTable } from './sstable-helpers.js';

/** A stand-in block of an exact weight: payload bytes + one Uint32 offset (4 bytes). */
function block(weight: number): DataBlock {
  return new DataBlock(Buffer.alloc(weight - 4), new Uint32Array(1), 0);
}

describe('LruBlockCache', () => {
  it('weighs a block by DataBlock.weight and counts hits and misses', () => {
    const c = new LruBlockCache(10_000);
    const b = block(1000);
    expect(b.weight).toBe(1000);
    expect(c.get(1, 0)).toBeUndefined();
    c.set(1, 0, b);
    expect(c.get(1, 0)).toBe(b);
    expect(c.get(1, 4096)).toBeUndefined();
    expect(c.get(2, 0)).toBeUndefined(); // same offset, other file
    expect(c.bytes).toBe(1000);
    expect(c.size).toBe(1);
    expect(c.hits).toBe(1);
    expect(c.misses).toBe(3);
    expect(c.hitRate).toBe(0.25);
  });

  it('evicts the least recently used block; a hit refreshes recency', () => {
    const c = new LruBlockCache(3000);
    c.set(1, 0, block(1000));
    c.set(1, 1000, block(1000));
    c.set(2, 0, block(1000));
    expect(c.entries()).toEqual([
      [1, 0],
      [1, 1000],
      [2, 0],
    ]);
    c.get(1, 0); // (1,0) becomes the most recent
    c.set(3, 0, block(1000)); // evicts (1,1000), the oldest
    expect(c.has(1, 1000)).toBe(false);
    expect(c.entries()).toEqual([
      [2, 0],
      [1, 0],
      [3, 0],
    ]);
    expect(c.evictions).toBe(1);
    // A 2500-byte block needs room for itself: evicts the two oldest.
    c.set(4, 0, block(2500));
    expect(c.entries()).toEqual([[4, 0]]);
    expect(c.bytes).toBe(2500);
    expect(c.evictions).toBe(4);
  });

  it('replacing a cached block adjusts the bytes and makes it the most recent', () => {
    const c = new LruBlockCache(5000);
    c.set(1, 0, block(1000));
    c.set(1, 100, block(1000));
    const b2 = block(2000);
    c.set(1, 0, b2);
    expect(c.bytes).toBe(3000);
    expect(c.size).toBe(2);
    expect(c.get(1, 0)).toBe(b2);
    expect(c.entries()).toEqual([
      [1, 100],
      [1, 0],
    ]);
  });

  it('evictFile drops only that table’s blocks', () => {
    const c = new LruBlockCache(100_000);
    for (const f of [7, 8, 9]) for (let o = 0; o < 5; o++) c.set(f, o * 4096, block(500));
    expect(c.evictFile(8)).toBe(5);
    expect(c.evictFile(8)).toBe(0);
    expect(c.evictFile(42)).toBe(0);
    expect(c.size).toBe(10);
    expect(c.bytes).toBe(5000);
    for (let o = 0; o < 5; o++) {
      expect(c.has(8, o * 4096)).toBe(false);
      expect(c.has(7, o * 4096)).toBe(true);
      expect(c.has(9, o * 4096)).toBe(true);
    }
    // The file can be cached again afterwards (a reused number is a new table only after a restart, but be safe).
    c.set(8, 0, block(500));
    expect(c.has(8, 0)).toBe(true);
    expect(c.evictFile(8)).toBe(1);
  });

  it('capacity 0 caches nothing; a block heavier than the capacity is not cached', () => {
    const off = new LruBlockCache(0);
    off.set(1, 0, block(100));
    expect(off.get(1, 0)).toBeUndefined();
    expect(off.bytes).toBe(0);
    const c = new LruBlockCache(1000);
    c.set(1, 0, block(600));
    c.set(1, 1, block(1001));
    expect(c.has(1, 1)).toBe(false);
    expect(c.has(1, 0)).toBe(true); // the refused block evicted nothing
    expect(c.bytes).toBe(600);
  });

  it('rejects a bad capacity with CONFIG_INVALID', () => {
    for (const bad of [-1, 0.5]) {
      let err: unknown;
      try {
        new LruBlockCache(bad);
      } catch (e) {
        err = e;
      }
      expect((err as PairdbError).code).toBe('CONFIG_INVALID');
    }
  });

  for (let seed = 1; seed <= 8; seed++) {
    it(`seed ${seed}: random sets, gets and file evictions never exceed the byte budget; bytes = Σ weights`, () => {
      const rand = prng(seed);
      const capacity = 20_000 + Math.floor(rand() * 50_000);
      const c = new LruBlockCache(capacity);
      const weights = new Map<string, number>();
      for (let op = 0; op < 3000; op++) {
        const f = Math.floor(rand() * 6);
        const o = Math.floor(rand() * 40) * 4096;
        const r = rand();
        if (r < 0.5) {
          const w = 8 + Math.floor(rand() * (capacity / 4));
          c.set(f, o, block(w));
          weights.set(`${f}:${o}`, w);
        } else if (r < 0.97) {
          const got = c.get(f, o);
          if (got && got.weight !== weights.get(`${f}:${o}`)) expect.fail(`seed ${seed} op ${op}: stale block`);
        } else {
          c.evictFile(f);
          if (c.entries().some(([ef]) => ef === f)) expect.fail(`seed ${seed} op ${op}: file ${f} survived evictFile`);
        }
        const sum = c.entries().reduce((s, [ef, eo]) => s + weights.get(`${ef}:${eo}`)!, 0);
        if (c.bytes > capacity || c.bytes !== sum) expect.fail(`seed ${seed} op ${op}: bytes ${c.bytes}, Σ ${sum}, capacity ${capacity}`);
      }
    });
  }
});

describe('LruBlockCache behind SSTableReader', () => {
  const fs = new NodeFileSystem();
  let tmp: { dir: string; cleanup(): void };
  beforeEach(() => {
    tmp = tempDir('pairdb-blockcache-');
  });
  afterEach(() => tmp.cleanup());

  it('serves repeated reads from memory and caches only CRC-verified blocks', async () => {
    const entries = randomEntries(prng(5), 60);
    const info = await writeTable(fs, tmp.dir, 12, entries, { blockBytes: 256 });
    const cache = new LruBlockCache(1 << 20);
    const ffs = new FaultFileSystem();
    let r = await SSTableReader.open(ffs, info.path, { blockCache: cache });
    expect(r.index.count).toBeGreaterThan(3);
    const reads = ffs.counts.read;
    await r.get(entries[0]!.ckey);
    await r.get(entries[0]!.ckey);
    expect(ffs.counts.read).toBe(reads + 1);
    expect(cache.has(12, r.index.offsets[0]!)).toBe(true);
    expect(cache.hits).toBe(1);
    const block1 = r.index.offsets[1]!;
    await r.close();

    // Flip a byte inside data block 1's payload: reading it fails DataLoss and nothing is cached for it.
    const bytes = readFileSync(info.path);
    bytes[block1 + 3]! ^= 0x10;
    writeFileSync(info.path, bytes);
    cache.evictFile(12); // the table was "replaced"
    r = await SSTableReader.open(fs, info.path, { blockCache: cache });
    await r.readDataBlock(0);
    let err: unknown;
    try {
      await r.readDataBlock(1);
    } catch (e) {
      err = e;
    }
    expect((err as PairdbError).code).toBe('CORRUPT_FILE');
    expect(cache.has(12, r.index.offsets[0]!)).toBe(true);
    expect(cache.has(12, block1)).toBe(false);
    // Block 0's read also read ahead over the rest of the (small) table, each block verified on its own: every
    // block but the damaged one is cached.
    expect(cache.size).toBe(r.index.count - 1);
    await r.close();
  });
});
