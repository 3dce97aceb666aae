import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PairdbError } from '../../../src/core/errors.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { type DataBlock, DEFAULT_BLOCK_BYTES, FOOTER_SIZE } from '../../../src/core/engine/sstable-format.js';
import { SSTableCorruptionError, SSTableReader, verifySSTable } from '../../../src/core/engine/sstable-reader.js';
import { SSTableWriter, type SSTableEntry } from '../../../src/core/engine/sstable-writer.js';
import { encs, tempDir, ver } from './helpers.js';
import { ckey, prng, randomEntries, writeTable } from './sstable-helpers.js';

const fs = new NodeFileSystem();
let tmp: { dir: string; cleanup(): void };

beforeEach(() => {
  tmp = tempDir('pairdb-sst-');
});
afterEach(() => tmp.cleanup());

function sameEntry(actual: SSTableEntry | undefined, expected: SSTableEntry): void {
  expect(actual).toBeDefined();
  expect(actual!.ckey.equals(expected.ckey)).toBe(true);
  expect(encs(actual!.versions)).toEqual(encs(expected.versions));
  expect(actual!.wids.map((w) => [w.writeId.toString('hex'), w.timestampMs])).toEqual(expected.wids.map((w) => [w.writeId.toString('hex'), w.timestampMs]));
}

async function expectCode(p: Promise<unknown>, code: string): Promise<PairdbError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PairdbError);
  expect((err as PairdbError).code).toBe(code);
  return err as PairdbError;
}

describe('SSTable round trip (seeded)', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`seed ${seed}: every entry reads back by get and by ordered iteration`, async () => {
      const rand = prng(seed);
      const n = 1 + Math.floor(rand() * 300);
      const blockBytes = [64, 256, 1024, DEFAULT_BLOCK_BYTES][seed % 4]!;
      const entries = randomEntries(rand, n, { maxValue: seed % 3 === 0 ? 3000 : 120 });
      const info = await writeTable(fs, tmp.dir, seed, entries, { blockBytes });
      expect(info.properties.keys).toBe(n);
      expect(info.size).toBe(readFileSync(info.path).length);

      const r = await SSTableReader.open(fs, info.path);
      try {
        // get: every key present, with its set and write ids.
        for (const e of entries) sameEntry(await r.get(e.ckey), e);
        // Absent keys: between, before and after the stored ones.
        for (let i = 0; i < 50; i++) {
          const probe = ckey('acme', `absent:${Math.floor(rand() * 1e6)}`);
          expect(await r.get(probe)).toBeUndefined();
        }
        expect(await r.get(Buffer.from([0x00]))).toBeUndefined();
        expect(await r.get(Buffer.from([0xff, 0xff]))).toBeUndefined();
        // Ordered iteration, whole and from a start key.
        const all: SSTableEntry[] = [];
        for await (const e of r.entries()) all.push(e);
        expect(all.length).toBe(n);
        all.forEach((e, i) => sameEntry(e, entries[i]!));
        const from = entries[Math.floor(rand() * n)]!.ckey;
        const tail: Buffer[] = [];
        for await (const e of r.entries(from)) tail.push(e.ckey);
        expect(tail.map((k) => k.toString('hex'))).toEqual(entries.filter((e) => Buffer.compare(e.ckey, from) >= 0).map((e) => e.ckey.toString('hex')));
        // A start key between stored keys starts at the next one.
        const mid = Buffer.concat([from, Buffer.from([0x00])]);
        const first = await r.entries(mid).next();
        const next = entries.find((e) => Buffer.compare(e.ckey, mid) >= 0);
        if (next) sameEntry(first.value as SSTableEntry, next);
        else expect(first.done).toBe(true);

        // Properties agree with the data.
        const p = r.properties;
        expect(p.versions).toBe(entries.reduce((s, e) => s + e.versions.length, 0));
        expect(p.tombstones).toBe(entries.reduce((s, e) => s + e.versions.filter((v) => v.tombstone).length, 0));
        expect(p.min_key).toBe(entries[0]!.ckey.toString('hex'));
        expect(p.max_key).toBe(entries[n - 1]!.ckey.toString('hex'));
        expect(p.data_blocks).toBe(r.index.count);
        expect(p.bloom_k).toBe(7);
        expect(r.bloom.nKeys).toBe(n);
        expect(r.bloom.mBits).toBe(Math.max(64, Math.ceil((n * 10) / 8) * 8));

        // Blocks respect block_bytes unless a single entry is larger.
        for (let b = 0; b < r.index.count; b++) {
          const block = await r.readDataBlock(b);
          if (block.count > 1) expect(block.payload.length).toBeLessThanOrEqual(blockBytes);
        }
      } finally {
        await r.close();
      }
      const report = await verifySSTable(fs, info.path);
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.keys).toBe(n);
    });
  }
});

describe('SSTable writer rules', () => {
  it('closes a block before an entry that would overflow it, and gives a big entry a block of its own', async () => {
    const small = (i: number): SSTableEntry => ({ ckey: ckey('t', `k${i}`), versions: [ver({ value: '"x"' })], wids: [] });
    const big: SSTableEntry = { ckey: ckey('t', 'k3'), versions: [ver({ value: Buffer.alloc(10_000, 0x61) })], wids: [] };
    const entries = [small(1), small(2), big, small(4), small(5)];
    const info = await writeTable(fs, tmp.dir, 1, entries);
    const r = await SSTableReader.open(fs, info.path);
    const blocks: string[][] = [];
    for (let b = 0; b < r.index.count; b++) {
      const block = await r.readDataBlock(b);
      blocks.push(Array.from({ length: block.count }, (_, i) => block.keyAt(i).toString().split('\0')[1]!));
    }
    expect(blocks).toEqual([['k1', 'k2'], ['k3'], ['k4', 'k5']]);
    sameEntry(await r.get(big.ckey), big);
    await r.close();
    expect((await verifySSTable(fs, info.path)).ok).toBe(true);
  });

  it('fills blocks up to exactly block_bytes', async () => {
    // Each entry: 1 + 5 (ckey) + 1 + set + 1 (empty wids). Pick a block size that fits exactly two.
    const e = (i: number): SSTableEntry => ({ ckey: ckey('t', `k${i}`), versions: [ver({ value: '"x"' })], wids: [] });
    const probe = await writeTable(fs, tmp.dir, 1, [e(1)]);
    const one = (await SSTableReader.open(fs, probe.path)).properties.data_bytes - 5;
    const info = await writeTable(fs, tmp.dir, 2, [e(1), e(2), e(3)], { blockBytes: 2 * one });
    const r = await SSTableReader.open(fs, info.path);
    expect(r.index.count).toBe(2);
    expect((await r.readDataBlock(0)).payload.length).toBe(2 * one);
    await r.close();
  });

  it('rejects an empty set, keys out of order, a set that is not Reduce-d and unsorted write ids (INVALID_REQUEST)', async () => {
    const w = await SSTableWriter.create({ fs, path: join(tmp.dir, '00000000000000000001.sst'), fileNumber: 1 });
    await expectCode(w.add(ckey('t', 'a'), []), 'INVALID_REQUEST');
    await expectCode(w.add(Buffer.alloc(0), [ver({})]), 'INVALID_REQUEST');
    await w.add(ckey('t', 'b'), [ver({})]);
    await expectCode(w.add(ckey('t', 'b'), [ver({})]), 'INVALID_REQUEST');
    await expectCode(w.add(ckey('t', 'a'), [ver({})]), 'INVALID_REQUEST');
    // Two versions of one writer: the older is dominated, so the set is not Reduce-d.
    await expectCode(w.add(ckey('t', 'c'), [ver({ ht: 1 }), ver({ ht: 2 })]), 'INVALID_REQUEST');
    const wid = (b: number) => ({ writeId: Buffer.from([b]), timestampMs: 1 });
    await expectCode(w.add(ckey('t', 'c'), [ver({})], [wid(2), wid(1)]), 'INVALID_REQUEST');
    // The rejected adds left the table as it was.
    const info = await w.finish();
    expect(info.properties.keys).toBe(1);
    expect((await verifySSTable(fs, info.path)).ok).toBe(true);
  });

  it('never writes an empty table and leaves no temp file', async () => {
    const path = join(tmp.dir, '00000000000000000001.sst');
    const w = await SSTableWriter.create({ fs, path, fileNumber: 1 });
    await expectCode(w.finish(), 'INVALID_REQUEST');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('publishes: writes NAME.tmp, fsyncs it, renames it, then fsyncs the directory', async () => {
    const ffs = new FaultFileSystem();
    const info = await writeTable(ffs, tmp.dir, 7, randomEntries(prng(7), 50));
    const tmpPath = `${info.path}.tmp`;
    const ev = ffs.events.filter((e) => !e.startsWith('write '));
    expect(ev).toEqual([`open ${tmpPath} w`, `fsync ${tmpPath}`, `rename ${tmpPath} ${info.path}`, `fsyncDir ${tmp.dir}`]);
    expect(ffs.events.filter((e) => e.startsWith('write ')).every((e) => e.startsWith(`write ${tmpPath} `))).toBe(true);
    expect(readdirSync(tmp.dir)).toEqual(['00000000000000000007.sst']);
  });

  it('an fsync failure fails the write, removes the temp file and publishes nothing', async () => {
    const ffs = new FaultFileSystem();
    ffs.failAt('fsync', 1, 'EIO');
    const err = await writeTable(ffs, tmp.dir, 7, randomEntries(prng(3), 10)).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EIO');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('an I/O error inside add() fails the writer for good and removes the temp file', async () => {
    const ffs = new FaultFileSystem();
    ffs.failAt('write', 1, 'EIO');
    const w = await SSTableWriter.create({ fs: ffs, path: join(tmp.dir, '00000000000000000009.sst'), fileNumber: 9, blockBytes: 64, bufferBytes: 64 });
    let err: unknown;
    for (let i = 0; i < 100 && !err; i++) err = await w.add(ckey('t', `k${String(i).padStart(3, '0')}`), [ver({})]).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('EIO');
    await expectCode(w.add(ckey('t', 'z'), [ver({})]), 'INTERNAL_ERROR');
    await expectCode(w.finish(), 'INTERNAL_ERROR');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('ENOSPC while writing fails the write and removes the temp file', async () => {
    const ffs = new FaultFileSystem();
    ffs.enospcAfter(1000);
    const err = await writeTable(ffs, tmp.dir, 8, randomEntries(prng(4), 200), { blockBytes: 256 }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ENOSPC');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });
});

describe('SSTable golden bytes', () => {
  it('a tiny table encodes to the committed bytes and reads back', async () => {
    const entries: SSTableEntry[] = [
      { ckey: ckey('acme', 'a'), versions: [ver({ writer: 'c1', ht: 1_700_000_000_000_000, value: '1' })], wids: [{ writeId: Buffer.from('w1'), timestampMs: 1_700_000_000_000 }] },
      { ckey: ckey('acme', 'b'), versions: [ver({ writer: 'c1', ht: 1_700_000_000_000_001, tombstone: true })], wids: [] },
    ];
    const info = await writeTable(fs, tmp.dir, 1, entries);
    const hex = readFileSync(info.path).toString('hex');
    expect(hex).toBe(GOLDEN_HEX);
    // And the committed bytes (not only freshly written ones) read back.
    const path = join(tmp.dir, 'golden', '00000000000000000001.sst');
    await fs.mkdir(join(tmp.dir, 'golden'));
    writeFileSync(path, Buffer.from(GOLDEN_HEX, 'hex'));
    const r = await SSTableReader.open(fs, path);
    sameEntry(await r.get(entries[0]!.ckey), entries[0]!);
    sameEntry(await r.get(entries[1]!.ckey), entries[1]!);
    expect(r.properties.oldest_tombstone_ts).toBe(1_700_000_000_000);
    await r.close();
  });
});

/** Flips one bit of byte `at` in a copy of the file at `path`, written to `out`. */
function flipped(src: Buffer, at: number, bit = 0): Buffer {
  const b = Buffer.from(src);
  b[at]! ^= 1 << bit;
  return b;
}

/** Opens and reads every entry; resolves with the entries, or rejects. */
async function readAll(path: string): Promise<SSTableEntry[]> {
  const r = await SSTableReader.open(fs, path);
  try {
    const out: SSTableEntry[] = [];
    for await (const e of r.entries()) out.push(e);
    return out;
  } finally {
    await r.close();
  }
}

describe('SSTable corruption', () => {
  async function table(): Promise<{ path: string; bytes: Buffer; entries: SSTableEntry[]; r: SSTableReader }> {
    const entries = randomEntries(prng(42), 40);
    const info = await writeTable(fs, tmp.dir, 3, entries, { blockBytes: 256 });
    const r = await SSTableReader.open(fs, info.path);
    await r.close();
    return { path: info.path, bytes: readFileSync(info.path), entries, r };
  }

  it('a flipped byte in each region is caught by reads and by verify, with the file and an offset in that region', async () => {
    const { path, bytes, entries, r } = await table();
    const f = r.footer;
    const size = bytes.length;
    const regions: { name: string; at: number; lo: number; hi: number; onOpen: boolean }[] = [
      { name: 'data block 1', at: r.index.offsets[1]! + 3, lo: r.index.offsets[1]!, hi: r.index.offsets[1]! + r.index.lengths[1]!, onOpen: false },
      { name: 'data block trailer', at: r.index.offsets[0]! + r.index.lengths[0]! - 1, lo: r.index.offsets[0]!, hi: r.index.offsets[0]! + r.index.lengths[0]!, onOpen: false },
      { name: 'index', at: f.indexOffset + 2, lo: f.indexOffset, hi: f.indexOffset + f.indexLength, onOpen: true },
      { name: 'bloom', at: f.bloomOffset + 20, lo: f.bloomOffset, hi: f.bloomOffset + f.bloomLength, onOpen: true },
      { name: 'properties', at: f.propsOffset + 5, lo: f.propsOffset, hi: f.propsOffset + f.propsLength, onOpen: true },
      { name: 'footer', at: size - FOOTER_SIZE + 9, lo: size - FOOTER_SIZE, hi: size, onOpen: true },
      { name: 'footer magic', at: size - 1, lo: size - FOOTER_SIZE, hi: size, onOpen: true },
    ];
    for (const reg of regions) {
      const bad = join(tmp.dir, `bad-${reg.name.replace(/ /g, '-')}.sst`);
      writeFileSync(bad, flipped(bytes, reg.at, 2));
      const report = await verifySSTable(fs, bad);
      expect(report.ok, reg.name).toBe(false);
      expect(report.problems.some((p) => p.offset >= reg.lo && p.offset < reg.hi), `${reg.name}: ${JSON.stringify(report.problems)}`).toBe(true);
      if (reg.onOpen) {
        const err = await expectCode(SSTableReader.open(fs, bad), 'CORRUPT_FILE');
        expect(err).toBeInstanceOf(SSTableCorruptionError);
        expect((err as SSTableCorruptionError).file).toBe(bad);
        expect((err as SSTableCorruptionError).offset).toBeGreaterThanOrEqual(reg.lo);
        expect((err as SSTableCorruptionError).offset).toBeLessThan(reg.hi);
      } else {
        const rr = await SSTableReader.open(fs, bad);
        // A key of the damaged block fails; a key of another block still reads right.
        const blockOf = (k: Buffer) => rr.index.findBlock(k);
        const victim = entries.find((e) => rr.index.offsets[blockOf(e.ckey)]! === reg.lo)!;
        const other = entries.find((e) => rr.index.offsets[blockOf(e.ckey)]! !== reg.lo)!;
        const err = await expectCode(rr.get(victim.ckey), 'CORRUPT_FILE');
        expect((err as SSTableCorruptionError).offset).toBeGreaterThanOrEqual(reg.lo);
        expect((err as SSTableCorruptionError).offset).toBeLessThan(reg.hi);
        sameEntry(await rr.get(other.ckey), other);
        await expectCode(readAll(bad), 'CORRUPT_FILE');
        await rr.close();
      }
    }
    void path;
  });

  it('every single-bit flip anywhere is reported by verify and fails a full read', async () => {
    const entries = randomEntries(prng(9), 5, { maxValue: 12 });
    const info = await writeTable(fs, tmp.dir, 4, entries, { blockBytes: 96 });
    const bytes = readFileSync(info.path);
    const rand = prng(99);
    const bad = join(tmp.dir, 'flip.sst');
    for (let at = 0; at < bytes.length; at++) {
      writeFileSync(bad, flipped(bytes, at, Math.floor(rand() * 8)));
      const report = await verifySSTable(fs, bad);
      expect(report.ok, `byte ${at}`).toBe(false);
      // Every byte is under a block CRC or the footer CRC, so a full read fails too (never a wrong value).
      const err = await readAll(bad).then(() => undefined, (e: unknown) => e);
      expect((err as PairdbError | undefined)?.code, `byte ${at}`).toBe('CORRUPT_FILE');
    }
  });

  it('a truncated file is refused at every length', async () => {
    const info = await writeTable(fs, tmp.dir, 5, randomEntries(prng(5), 4, { maxValue: 12 }), { blockBytes: 96 });
    const bytes = readFileSync(info.path);
    const bad = join(tmp.dir, 'short.sst');
    for (let len = 0; len < bytes.length; len++) {
      writeFileSync(bad, bytes.subarray(0, len));
      await expectCode(SSTableReader.open(fs, bad), 'CORRUPT_FILE');
      expect((await verifySSTable(fs, bad)).ok, `length ${len}`).toBe(false);
    }
    // Trailing bytes are refused too.
    writeFileSync(bad, Buffer.concat([bytes, Buffer.from([0])]));
    await expectCode(SSTableReader.open(fs, bad), 'CORRUPT_FILE');
    expect((await verifySSTable(fs, bad)).ok).toBe(false);
  });

  it('verify of a missing file is FILE_NOT_FOUND', async () => {
    await expectCode(verifySSTable(fs, join(tmp.dir, 'nope.sst')), 'FILE_NOT_FOUND');
  });
});

describe('SSTable block cache', () => {
  it('serves a verified block from the cache on the second read', async () => {
    const entries = randomEntries(prng(11), 30);
    const info = await writeTable(fs, tmp.dir, 6, entries, { blockBytes: 256 });
    const cache = new Map<string, DataBlock>();
    let hits = 0;
    const blockCache = {
      get: (f: number, o: number) => {
        const b = cache.get(`${f}:${o}`);
        if (b) hits++;
        return b;
      },
      set: (f: number, o: number, b: DataBlock) => void cache.set(`${f}:${o}`, b),
    };
    const ffs = new FaultFileSystem();
    const r = await SSTableReader.open(ffs, info.path, { blockCache });
    expect(r.fileNumber).toBe(6);
    const reads = ffs.counts.read;
    sameEntry(await r.get(entries[0]!.ckey), entries[0]!);
    expect(ffs.counts.read).toBe(reads + 1);
    sameEntry(await r.get(entries[0]!.ckey), entries[0]!);
    expect(ffs.counts.read).toBe(reads + 1);
    expect(hits).toBe(1);
    await r.close();
  });
});

/**
 * Two keys of tenant acme: `a` = value "1" by c1 with write id "w1"; `b` = a tombstone. Layout (526 bytes):
 * data block [0, 84) (entries, kind 01, crc), index [84, 99), bloom [99, 122) (scheme 1, k 7, 2 keys, m 64),
 * properties [122, 462), footer [462, 526).
 */
const GOLDEN_HEX = [
  '0661636d6500611b01190080d095ffbc3102633100010263318080f9c0c1c4820301310102773180d095ffbc310661636d65',
  '00621901170180d095ffbc3102633100010263318180f9c0c1c482030001be7f1c74010661636d650062005402ec59c5a101',
  '0702000000400000000c0404222604048c032d5cf5917b22666f726d6174223a312c2266696c65223a312c226c6576656c22',
  '3a302c22637265617465645f6d73223a313730303030303030303030302c22726561736f6e223a22666c757368222c226b65',
  '7973223a322c2276657273696f6e73223a322c22746f6d6273746f6e6573223a312c226d696e5f6b6579223a223631363336',
  '64363530303631222c226d61785f6b6579223a22363136333664363530303632222c226d696e5f7473223a31373030303030',
  '3030303030302c226d61785f7473223a313730303030303030303030302c226f6c646573745f746f6d6273746f6e655f7473',
  '223a313730303030303030303030302c22646174615f626c6f636b73223a312c22646174615f6279746573223a38342c2262',
  '6c6f6f6d5f626974735f7065725f6b6579223a31302c22626c6f6f6d5f6b223a372c22656e67696e65223a22706169726462',
  '2f74657374227d04f26664f254000000000000000f000000630000000000000017000000000000007a000000000000005401',
  '00000100000001000000d7d8d892263a93867061697244427374',
].join('');
