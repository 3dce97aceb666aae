import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LruBlockCache } from '../../../src/core/engine/block-cache.js';
import { BLOOM_SEED_1, BLOOM_SEED_2, BloomFilter, murmur3 } from '../../../src/core/engine/bloom.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { BLOCK_TRAILER_SIZE, compareBytes, type DataBlock, DEFAULT_BLOCK_BYTES } from '../../../src/core/engine/sstable-format.js';
import { BLOCK_MISS, READAHEAD_BYTES, SSTableCorruptionError, SSTableReader } from '../../../src/core/engine/sstable-reader.js';
import type { SSTableEntry } from '../../../src/core/engine/sstable-writer.js';
import { PairdbError } from '../../../src/core/errors.js';
import { encs, tempDir, ver } from './helpers.js';
import { ckey, prng, randomEntries, writeTable } from './sstable-helpers.js';

/**
 * The synchronous read path of storage-engine.md §7: SSTableReader.lookupCached (answers from the block cache or
 * says BLOCK_MISS), lookupUncached (the disk side), readahead into spare cache room, and the byte comparison and
 * bloom helpers it uses. Seeded; the seed is in every test name and failure message.
 */

const fs = new NodeFileSystem();
let tmp: { dir: string; cleanup(): void };

beforeEach(() => {
  tmp = tempDir('pairdb-readpath-');
});
afterEach(() => tmp.cleanup());

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function sameEntry(actual: SSTableEntry | undefined, expected: SSTableEntry | undefined, what: string): void {
  if (!expected) {
    expect(actual, what).toBeUndefined();
    return;
  }
  expect(actual, what).toBeDefined();
  expect(actual!.ckey.equals(expected.ckey), what).toBe(true);
  expect(encs(actual!.versions), what).toEqual(encs(expected.versions));
  expect(
    actual!.wids.map((w) => [w.writeId.toString('hex'), w.timestampMs]),
    what,
  ).toEqual(expected.wids.map((w) => [w.writeId.toString('hex'), w.timestampMs]));
}

/** Present keys plus absent ones (between, before and after the stored keys), shuffled. */
function probes(rand: () => number, entries: readonly SSTableEntry[]): Buffer[] {
  const out = entries.map((e) => e.ckey);
  for (let i = 0; i < entries.length; i++) out.push(ckey(['acme', 'globex', 'initech', 'zz'][i % 4]!, `absent:${Math.floor(rand() * 1e7)}`));
  out.push(Buffer.from([0x00]), Buffer.from([0xff, 0xff]), Buffer.from('acme'), Buffer.from('acme\0'));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('compareBytes', () => {
  it('orders byte ranges exactly like Buffer.compare (seeded, shared prefixes, prefixes of each other)', () => {
    const rand = prng(7);
    const pool = Buffer.from('bench\u0000k0000000000');
    const wrong: string[] = [];
    for (let n = 0; n < 5000; n++) {
      const mk = (): Buffer => {
        const len = Math.floor(rand() * 24);
        const b = Buffer.alloc(len);
        // Mostly a shared prefix, then random bytes (including 0x00 and 0xff).
        const shared = Math.floor(rand() * Math.min(len, pool.length + 1));
        pool.copy(b, 0, 0, shared);
        for (let i = shared; i < len; i++) b[i] = rand() < 0.2 ? (rand() < 0.5 ? 0 : 255) : Math.floor(rand() * 256);
        return b;
      };
      const a = mk();
      const b = rand() < 0.2 ? Buffer.from(a) : rand() < 0.2 ? a.subarray(0, Math.floor(rand() * (a.length + 1))) : mk();
      const want = Buffer.compare(a, b);
      // Ranges inside bigger buffers too.
      const pa = Buffer.concat([Buffer.from([9, 9]), a, Buffer.from([1])]);
      const pb = Buffer.concat([Buffer.from([7]), b]);
      const got = [sign(compareBytes(a, 0, a.length, b, 0, b.length)), sign(compareBytes(pa, 2, 2 + a.length, pb, 1, 1 + b.length))];
      if (got[0] !== want || got[1] !== want) wrong.push(`case ${n}: ${a.toString('hex')} vs ${b.toString('hex')}: ${got.join(',')}, want ${want}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});

describe('prefix-skipping binary searches (IndexBlock.findBlock, DataBlock.lowerBound/find)', () => {
  for (let seed = 1; seed <= 3; seed++) {
    it(`seed ${seed}: agree with a linear scan over keys that are prefixes of each other`, async () => {
      const rand = prng(200 + seed);
      // Keys over {a, b} of length 1..10 behind a shared tenant prefix: many keys are prefixes of others.
      const set = new Set<string>();
      while (set.size < 300) {
        const len = 1 + Math.floor(rand() * 10);
        let k = '';
        for (let i = 0; i < len; i++) k += rand() < 0.5 ? 'a' : 'b';
        set.add(k);
      }
      // Seed 3 mixes tenants, so the keys share no prefix at all.
      const keys = [...set].map((k, i) => ckey(seed === 3 ? ['t', 'tenant', 'tenant2', 'u'][i % 4]! : 'tenant', k)).sort(Buffer.compare);
      const entries: SSTableEntry[] = keys.map((k, i) => ({ ckey: k, versions: [ver({ writer: 'c1', ht: 1_700_000_000_000_000 + i })], wids: [] }));
      const info = await writeTable(fs, tmp.dir, 70 + seed, entries, { blockBytes: 64 + seed * 100 });
      const r = await SSTableReader.open(fs, info.path);
      try {
        const blocks = [];
        for (let b = 0; b < r.index.count; b++) blocks.push(await r.readDataBlock(b));
        const probeKeys = [
          ...keys,
          ckey('tenant', ''),
          ckey('tenant', 'c'),
          ckey('tenan', 'a'),
          ckey('tenant', '\u0000'),
          ckey('tenant', 'aaaaaaaaaaaaaaaaaaaa'),
          Buffer.from('tenant'),
          Buffer.from('t'),
          Buffer.from([0x00]),
          Buffer.from([0xff]),
        ];
        // Every key's proper prefixes and one-byte-longer extensions (0x00 and 0xff) probe the prefix and head edges.
        for (const k of keys.slice(0, 60)) {
          for (let l = 1; l < k.length; l++) probeKeys.push(k.subarray(0, l));
          probeKeys.push(Buffer.concat([k, Buffer.from([0])]), Buffer.concat([k, Buffer.from([0xff])]));
        }
        for (let n = 0; n < 200; n++) {
          let k = '';
          for (let i = 0, len = Math.floor(rand() * 12); i < len; i++) k += 'ab'[Math.floor(rand() * 2)];
          probeKeys.push(ckey('tenant', k));
        }
        const wrong: string[] = [];
        for (const k of probeKeys) {
          const what = `seed ${seed} ${k.toString('hex')}`;
          let wantBlock = 0;
          while (wantBlock < r.index.count && Buffer.compare(r.index.lastKey(wantBlock), k) < 0) wantBlock++;
          if (r.index.findBlock(k) !== wantBlock) wrong.push(`${what}: findBlock ${r.index.findBlock(k)}, want ${wantBlock}`);
          for (const [b, block] of blocks.entries()) {
            let want = 0;
            while (want < block.count && Buffer.compare(block.keyAt(want), k) < 0) want++;
            const wantFind = want < block.count && block.keyAt(want).equals(k) ? want : -1;
            if (block.lowerBound(k) !== want) wrong.push(`${what}: block ${b} lowerBound ${block.lowerBound(k)}, want ${want}`);
            if (block.find(k) !== wantFind) wrong.push(`${what}: block ${b} find ${block.find(k)}, want ${wantFind}`);
          }
        }
        expect(wrong.slice(0, 10)).toEqual([]);
      } finally {
        await r.close();
      }
    });
  }
});

describe('BloomFilter.mayContainHashes', () => {
  it('answers exactly what mayContain answers for the same key (seeded)', () => {
    const rand = prng(3);
    const f = BloomFilter.forKeys(500);
    for (let i = 0; i < 500; i++) f.add(Buffer.from(`t\0in-${i}`));
    let maybes = 0;
    for (let i = 0; i < 3000; i++) {
      const key = Buffer.from(`t\0${rand() < 0.5 ? 'in' : 'out'}-${Math.floor(rand() * 1000)}`);
      const got = f.mayContainHashes(murmur3(key, BLOOM_SEED_1), murmur3(key, BLOOM_SEED_2));
      expect(got, key.toString()).toBe(f.mayContain(key));
      if (got) maybes++;
    }
    // Both outcomes occur, so the agreement above is not vacuous.
    expect(maybes).toBeGreaterThan(0);
    expect(maybes).toBeLessThan(3000);
  });
});

describe('SSTableReader.lookupCached', () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`seed ${seed}: agrees with lookup() and with the written entries, present and absent keys, through evictions`, async () => {
      const rand = prng(seed);
      const entries = randomEntries(rand, 80 + Math.floor(rand() * 250), { maxValue: seed % 3 === 0 ? 1500 : 120 });
      const blockBytes = [64, 256, 1024, DEFAULT_BLOCK_BYTES][seed % 4]!;
      const info = await writeTable(fs, tmp.dir, 30 + seed, entries, { blockBytes });
      const truth = new Map(entries.map((e) => [e.ckey.toString('hex'), e]));
      // Odd seeds: a cache of ~3 blocks (constant eviction, no room to read ahead); even: room for everything.
      const cache = new LruBlockCache(seed % 2 === 1 ? 3 * (blockBytes + 1024) : 1 << 22);
      const r = await SSTableReader.open(fs, info.path, { blockCache: cache });
      let misses = 0;
      let hits = 0;
      try {
        for (const [n, k] of probes(rand, entries).entries()) {
          const what = `seed ${seed} probe ${n} ${k.toString('hex')}`;
          const want = truth.get(k.toString('hex'));
          const b = r.index.findBlock(k);
          const cachedBefore = b < r.index.count && cache.has(info.properties.file, r.index.offsets[b]!);
          const missesBefore = cache.misses;
          let got = r.lookupCached(k);
          if (got === BLOCK_MISS) {
            misses++;
            // MISS only when the block that would hold the key exists and is not cached; counted once.
            expect(b < r.index.count && !cachedBefore, what).toBe(true);
            got = await r.lookupUncached(k);
            expect(cache.misses, what).toBe(missesBefore + 1);
            // The block it read is cached now (the cache always takes the block that was asked for).
            expect(cache.has(info.properties.file, r.index.offsets[b]!), what).toBe(true);
          } else {
            if (b < r.index.count) {
              expect(cachedBefore, what).toBe(true);
              hits++;
            }
          }
          sameEntry(got, want, what);
          sameEntry(await r.lookup(k), want, `${what} (lookup)`);
          expect(cache.bytes, what).toBeLessThanOrEqual(cache.capacity);
        }
      } finally {
        await r.close();
      }
      // Both paths were exercised.
      expect(misses, `seed ${seed}`).toBeGreaterThan(0);
      expect(hits, `seed ${seed}`).toBeGreaterThan(0);
    });
  }

  it('without a block cache always says BLOCK_MISS for keys inside the table, undefined past it', async () => {
    const entries = randomEntries(prng(21), 40);
    const info = await writeTable(fs, tmp.dir, 21, entries, { blockBytes: 256 });
    const r = await SSTableReader.open(fs, info.path);
    try {
      for (const e of entries) {
        expect(r.lookupCached(e.ckey)).toBe(BLOCK_MISS);
        sameEntry(await r.lookupUncached(e.ckey), e, e.ckey.toString('hex'));
      }
      expect(r.lookupCached(Buffer.from([0xff, 0xff]))).toBeUndefined();
    } finally {
      await r.close();
    }
  });
});

/** node:fs recording every positional read as [position, length]. */
class RecordingFileSystem extends NodeFileSystem {
  readonly reads: Array<[number, number]> = [];

  override read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.reads.push([position, length]);
    return super.read(fd, buffer, offset, length, position);
  }
}

/** An LruBlockCache recording, per set(), the block offset and how many blocks that set evicted. */
class SpyCache extends LruBlockCache {
  readonly sets: Array<[number, number]> = [];

  override set(fileNumber: number, offset: number, block: DataBlock): void {
    const before = this.evictions;
    super.set(fileNumber, offset, block);
    this.sets.push([offset, this.evictions - before]);
  }
}

/** Flips one payload byte of data block `b` (its CRC no longer matches). */
function corruptBlock(path: string, r: SSTableReader, b: number, rand: () => number): void {
  const bytes = readFileSync(path);
  const at = r.index.offsets[b]! + Math.floor(rand() * (r.index.lengths[b]! - BLOCK_TRAILER_SIZE));
  bytes[at]! ^= 1 << Math.floor(rand() * 8);
  writeFileSync(path, bytes);
}

describe('only CRC-verified blocks are ever cached or answered from', () => {
  for (let seed = 1; seed <= 4; seed++) {
    it(`seed ${seed}: a damaged block fails every read of its keys (sync and async), others read right, the cache never holds it`, async () => {
      const rand = prng(100 + seed);
      const entries = randomEntries(rand, 150);
      const info = await writeTable(fs, tmp.dir, 50 + seed, entries, { blockBytes: 256 });
      const clean = await SSTableReader.open(fs, info.path);
      const count = clean.index.count;
      const victim = Math.floor(rand() * count);
      corruptBlock(info.path, clean, victim, rand);
      const lo = clean.index.offsets[victim]!;
      const hi = lo + clean.index.lengths[victim]!;
      await clean.close();

      const file = info.properties.file;
      const cache = new LruBlockCache(1 << 22);
      const r = await SSTableReader.open(fs, info.path, { blockCache: cache });
      try {
        // Two rounds: the first loads blocks (with readahead), the second answers from the cache where it can.
        for (let round = 0; round < 2; round++) {
          for (const e of [...entries].sort(() => rand() - 0.5)) {
            const what = `seed ${seed} round ${round} ${e.ckey.toString('hex')}`;
            const inVictim = r.index.findBlock(e.ckey) === victim;
            if (inVictim) {
              // Never answered from memory, whatever was read before.
              expect(r.lookupCached(e.ckey), what).toBe(BLOCK_MISS);
              const err = await r.lookup(e.ckey).then(
                () => undefined,
                (x: unknown) => x,
              );
              expect(err, what).toBeInstanceOf(SSTableCorruptionError);
              expect((err as PairdbError).code, what).toBe('CORRUPT_FILE');
              expect((err as SSTableCorruptionError).offset, what).toBeGreaterThanOrEqual(lo);
              expect((err as SSTableCorruptionError).offset, what).toBeLessThan(hi);
            } else {
              sameEntry(await r.lookup(e.ckey), e, what);
              if (round === 1) sameEntry(r.lookupCached(e.ckey) as SSTableEntry | undefined, e, `${what} (cached)`);
            }
            expect(cache.has(file, lo), what).toBe(false);
          }
        }
        // Every cached block is byte-identical to the file and its CRC holds.
        const bytes = readFileSync(info.path);
        expect(cache.size).toBe(count - 1);
        for (const [f, off] of cache.entries()) {
          const b = r.index.offsets.indexOf(off);
          const block = cache.get(f, off)!;
          const len = r.index.lengths[b]!;
          expect(block.payload.equals(bytes.subarray(off, off + len - BLOCK_TRAILER_SIZE)), `seed ${seed} block ${b}`).toBe(true);
          expect(crc32(bytes.subarray(off, off + len - 4)), `seed ${seed} block ${b}`).toBe(bytes.readUInt32LE(off + len - 4));
        }
      } finally {
        await r.close();
      }
    });
  }
});

describe('CRC-valid blocks that contradict the index or the key order', () => {
  /** Re-seals data block `b` (its CRC over payload ‖ kind) after an edit, so only the content checks can object. */
  function reseal(bytes: Buffer, r: SSTableReader, b: number): void {
    const off = r.index.offsets[b]!;
    const len = r.index.lengths[b]!;
    bytes.writeUInt32LE(crc32(bytes.subarray(off, off + len - 4)), off + len - 4);
  }

  const cases: Array<{ name: string; what: RegExp; edit: (bytes: Buffer, r: SSTableReader, blocks: DataBlock[]) => void }> = [
    {
      name: 'last key differs from the index',
      what: /data block 1: last key differs from the index/,
      edit: (bytes, r, blocks) => {
        // The last key's last byte + 1: still the block's greatest key, no longer the index's.
        const blk = blocks[1]!;
        const at = r.index.offsets[1]! + blk.offs[3 * (blk.count - 1) + 2]! - 1;
        bytes[at]! += 1;
        reseal(bytes, r, 1);
      },
    },
    {
      name: 'first key not after the previous block',
      what: /data block 1: first key not after the previous block/,
      edit: (bytes, r, blocks) => {
        // The first key's first byte → 0x01: still the block's smallest key, now before block 0's keys.
        bytes[r.index.offsets[1]! + blocks[1]!.offs[1]!] = 0x01;
        reseal(bytes, r, 1);
      },
    },
    {
      name: 'keys out of order inside a block',
      what: /data block 1: ckey not greater than the previous one/,
      edit: (bytes, r, blocks) => {
        // The second key's first byte → 0x01: smaller than the first key.
        bytes[r.index.offsets[1]! + blocks[1]!.offs[4]!] = 0x01;
        reseal(bytes, r, 1);
      },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: DataLoss (CORRUPT_FILE) inside that block, the block is never cached, other blocks read`, async () => {
      const entries = randomEntries(prng(77), 60, { maxValue: 30 });
      const info = await writeTable(fs, tmp.dir, 77, entries, { blockBytes: 512 });
      const clean = await SSTableReader.open(fs, info.path);
      const blocks: DataBlock[] = [];
      for (let b = 0; b < clean.index.count; b++) blocks.push(await clean.readDataBlock(b));
      expect(blocks[1]!.count).toBeGreaterThan(1);
      const bytes = readFileSync(info.path);
      c.edit(bytes, clean, blocks);
      const lo = clean.index.offsets[1]!;
      const hi = lo + clean.index.lengths[1]!;
      await clean.close();
      writeFileSync(info.path, bytes);

      const cache = new LruBlockCache(1 << 20);
      const r = await SSTableReader.open(fs, info.path, { blockCache: cache });
      try {
        const victim = entries.find((e) => r.index.findBlock(e.ckey) === 1)!;
        const other = entries.find((e) => r.index.findBlock(e.ckey) === 0)!;
        for (let round = 0; round < 2; round++) {
          const err = await r.lookup(victim.ckey).then(
            () => undefined,
            (x: unknown) => x,
          );
          expect(err, `round ${round}`).toBeInstanceOf(SSTableCorruptionError);
          expect((err as SSTableCorruptionError).what).toMatch(c.what);
          expect((err as SSTableCorruptionError).offset).toBeGreaterThanOrEqual(lo);
          expect((err as SSTableCorruptionError).offset).toBeLessThan(hi);
          expect(cache.has(info.properties.file, lo)).toBe(false);
          expect(r.lookupCached(victim.ckey)).toBe(BLOCK_MISS);
          sameEntry(await r.lookup(other.ckey), other, `round ${round} other`);
        }
      } finally {
        await r.close();
      }
    });
  }
});

describe('readahead and shared disk reads', () => {
  it('one miss on a cache with room reads the missing block and its uncached neighbours in one read', async () => {
    const entries = randomEntries(prng(31), 120);
    const info = await writeTable(fs, tmp.dir, 61, entries, { blockBytes: 256 });
    const ffs = new FaultFileSystem();
    const cache = new LruBlockCache(1 << 22);
    const r = await SSTableReader.open(ffs, info.path, { blockCache: cache });
    try {
      expect(r.footer.indexOffset).toBeLessThan(READAHEAD_BYTES); // the whole data section fits one window
      const reads = ffs.counts.read;
      const mid = entries[60]!;
      sameEntry(await r.lookup(mid.ckey), mid, 'mid');
      expect(ffs.counts.read).toBe(reads + 1);
      expect(cache.size).toBe(r.index.count);
      for (const e of entries) sameEntry(r.lookupCached(e.ckey) as SSTableEntry | undefined, e, e.ckey.toString('hex'));
      expect(ffs.counts.read).toBe(reads + 1);
      expect(cache.evictions).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('reads at most READAHEAD_BYTES per miss, stops at cached blocks, and never evicts to read ahead', async () => {
    const entries = randomEntries(prng(32), 400, { maxValue: 1500 });
    const info = await writeTable(fs, tmp.dir, 62, entries, { blockBytes: DEFAULT_BLOCK_BYTES });
    const rfs = new RecordingFileSystem();
    const cache = new LruBlockCache(1 << 24);
    const r = await SSTableReader.open(rfs, info.path, { blockCache: cache });
    try {
      expect(r.footer.indexOffset).toBeGreaterThan(3 * READAHEAD_BYTES);
      const { offsets, lengths, count } = r.index;
      const keyIn = (b: number): Buffer => entries.find((e) => r.index.findBlock(e.ckey) === b)!.ckey;
      const cachedBytes = (): number => {
        let n = 0;
        for (let b = 0; b < count; b++) if (cache.has(info.properties.file, offsets[b]!)) n += lengths[b]!;
        return n;
      };
      // A miss in the middle: one read, ≤ 64 KiB, covering the block, whole blocks only; all of it cached.
      const middle = Math.floor(count / 2);
      rfs.reads.length = 0;
      await r.lookup(keyIn(middle));
      expect(rfs.reads).toHaveLength(1);
      const [first] = rfs.reads as [[number, number]];
      expect(first[1]).toBeLessThanOrEqual(READAHEAD_BYTES);
      expect(first[1]).toBeGreaterThan(lengths[middle]!);
      expect(first[0]).toBeLessThanOrEqual(offsets[middle]!);
      expect(first[0] + first[1]).toBeGreaterThanOrEqual(offsets[middle]! + lengths[middle]!);
      expect(offsets.includes(first[0])).toBe(true);
      expect(cachedBytes()).toBe(first[1]);
      // A miss on the block just before that window: the next read ends exactly where the cached run starts.
      const before = offsets.indexOf(first[0]) - 1;
      rfs.reads.length = 0;
      await r.lookup(keyIn(before));
      expect(rfs.reads).toHaveLength(1);
      const [second] = rfs.reads as [[number, number]];
      expect(second[0] + second[1]).toBe(first[0]);
      expect(second[1]).toBeLessThanOrEqual(READAHEAD_BYTES);
      expect(cachedBytes()).toBe(first[1] + second[1]);
      expect(cache.evictions).toBe(0);
    } finally {
      await r.close();
    }

    // A cache of ~2.5 blocks under random misses: blocks that were asked for may evict, read-ahead neighbours are
    // cached only into spare room (never evicting).
    const small = new SpyCache(Math.floor(2.5 * DEFAULT_BLOCK_BYTES));
    const r2 = await SSTableReader.open(rfs, info.path, { blockCache: small });
    const rand = prng(35);
    let multi = 0;
    let evicting = 0;
    try {
      for (let n = 0; n < 120; n++) {
        const e = entries[Math.floor(rand() * entries.length)]!;
        const asked = r2.index.offsets[r2.index.findBlock(e.ckey)]!;
        small.sets.length = 0;
        rfs.reads.length = 0;
        sameEntry(await r2.lookup(e.ckey), e, `lookup ${n}`);
        if (rfs.reads.some(([, len]) => len > r2.index.lengths[r2.index.findBlock(e.ckey)]!)) multi++;
        for (const [off, evicted] of small.sets) {
          if (off !== asked) expect(evicted, `lookup ${n}: neighbour ${off} evicted`).toBe(0);
          else if (evicted > 0) evicting++;
        }
        expect(small.bytes).toBeLessThanOrEqual(small.capacity);
      }
    } finally {
      await r2.close();
    }
    // Both cases happened: some reads went ahead, some asked-for blocks had to evict.
    expect(multi).toBeGreaterThan(0);
    expect(evicting).toBeGreaterThan(0);
  });

  it('concurrent misses on one block share one disk read', async () => {
    const entries = randomEntries(prng(33), 60);
    const info = await writeTable(fs, tmp.dir, 63, entries, { blockBytes: DEFAULT_BLOCK_BYTES });
    const ffs = new FaultFileSystem();
    const r = await SSTableReader.open(ffs, info.path); // no cache: every lookup goes to disk
    try {
      const same = entries.filter((e) => r.index.findBlock(e.ckey) === 0).slice(0, 10);
      expect(same.length).toBeGreaterThan(3);
      const reads = ffs.counts.read;
      const got = await Promise.all(same.map((e) => r.lookup(e.ckey)));
      same.forEach((e, i) => sameEntry(got[i], e, e.ckey.toString('hex')));
      expect(ffs.counts.read).toBe(reads + 1);
      // Once settled, the next miss reads again (nothing is kept without a cache).
      await r.lookup(same[0]!.ckey);
      expect(ffs.counts.read).toBe(reads + 2);
    } finally {
      await r.close();
    }
  });

  it('a failed disk read fails the lookups that shared it and the next lookup reads again', async () => {
    const entries = randomEntries(prng(34), 60);
    const info = await writeTable(fs, tmp.dir, 64, entries, { blockBytes: 512 });
    const ffs = new FaultFileSystem();
    const cache = new LruBlockCache(1 << 22);
    const r = await SSTableReader.open(ffs, info.path, { blockCache: cache });
    try {
      ffs.failAt('read', 1, 'EIO');
      const results = await Promise.allSettled([r.lookup(entries[0]!.ckey), r.lookup(entries[1]!.ckey)]);
      expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
      expect(cache.size).toBe(0);
      sameEntry(await r.lookup(entries[0]!.ckey), entries[0]!, 'after EIO');
      expect(cache.size).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  });
});

describe('LruBlockCache keys', () => {
  it('files and offsets beyond the numeric key range still work (string keys), next to numeric ones', async () => {
    const entries = randomEntries(prng(41), 10);
    const info = await writeTable(fs, tmp.dir, 65, entries, { blockBytes: 128 });
    const r = await SSTableReader.open(fs, info.path);
    const block = await r.readDataBlock(0);
    await r.close();
    const c = new LruBlockCache(1 << 20);
    const pairs: Array<[number, number]> = [
      [1, 0],
      [2 ** 21, 0], // file past 2^21
      [3, 2 ** 32], // offset past 2^32
      [2 ** 21 - 1, 2 ** 32 - 1], // the largest numeric pair
      [0, 4096],
    ];
    for (const [f, o] of pairs) c.set(f, o, block);
    expect(c.size).toBe(pairs.length);
    for (const [f, o] of pairs) {
      expect(c.has(f, o), `${f}:${o}`).toBe(true);
      expect(c.get(f, o), `${f}:${o}`).toBe(block);
    }
    // No aliasing between neighbours of the boundary.
    expect(c.has(2 ** 21 - 1, 2 ** 32 - 2)).toBe(false);
    expect(c.has(2 ** 21, 1)).toBe(false);
    expect(c.entries()).toEqual(pairs);
    expect(c.spareBytes).toBe(c.capacity - c.bytes);
    expect(c.evictFile(2 ** 21)).toBe(1);
    expect(c.has(2 ** 21, 0)).toBe(false);
    expect(c.size).toBe(pairs.length - 1);
  });
});
