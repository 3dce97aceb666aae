import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { SSTableReader } from '../../../src/core/engine/sstable-reader.js';
import { BLOCK_TRAILER_SIZE } from '../../../src/core/engine/sstable-format.js';
import { PairdbError } from '../../../src/core/errors.js';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { readVarint } from '../../../src/core/model/version-codec.js';
import { encs, tick, ver } from './helpers.js';
import { engineHarness } from './engine-harness.js';
import { ForwardingFileSystem } from './forwarding-fs.js';
import { prng } from './sstable-helpers.js';

/**
 * StorageEngine.read over tables (storage-engine.md §7) on both of its paths: answered synchronously from the
 * block cache, or awaiting disk reads (with readahead and the fairness yield). Seeded; seeds are in test names.
 */

const harness = engineHarness('pairdb-readpath-');
const BASE = Date.now() * 1000;

/** node:fs whose positional reads of files matching `pred` wait while held (the disk "stalls"). */
class HeldReadsFileSystem extends ForwardingFileSystem {
  #pred: ((path: string) => boolean) | undefined;
  #waiters: Array<() => void> = [];
  reads = 0;
  held = 0;

  hold(pred: (path: string) => boolean): () => void {
    this.#pred = pred;
    return () => {
      this.#pred = undefined;
      for (const w of this.#waiters.splice(0)) w();
    };
  }

  override async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.reads++;
    const path = this.pathOf(fd);
    if (path !== undefined && this.#pred?.(path)) {
      this.held++;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return super.read(fd, buffer, offset, length, position);
  }
}

function tablesIn(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'sst'))
    .filter((n) => n.endsWith('.sst'))
    .sort();
}

/** A promise's state after `n` event-loop turns (no timers): whether it settled. */
async function settlesWithin<T>(p: Promise<T>, turns: number): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < turns && !done; i++) await tick();
  return done;
}

const value = (rand: () => number): Buffer => Buffer.from(`"${'x'.repeat(20 + Math.floor(rand() * 200))}"`);

describe('StorageEngine.read over tables', () => {
  for (let seed = 1; seed <= 4; seed++) {
    it(`seed ${seed}: several L0 tables + memtable: cold, warm and mixed reads all equal Reduce(every version written)`, async () => {
      const rand = prng(seed);
      const fs = new FaultFileSystem();
      // Odd seeds: a block cache of a few blocks (mixed cached/uncached candidates); even: room for everything.
      const blockCacheBytes = seed % 2 === 1 ? 12 * 1024 : 16 << 20;
      let e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes, autoCompact: false });
      const keys = Array.from({ length: 150 }, (_, i) => `key-${i}`);
      const written = new Map<string, Version[]>();
      let ht = BASE;
      const writeSome = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const key = keys[Math.floor(rand() * keys.length)]!;
          const prev = written.get(key) ?? [];
          const r = rand();
          // Concurrent siblings (new writer), a dominating overwrite (clock covers every earlier version), or a tombstone.
          const writer = `c${Math.floor(rand() * 3)}`;
          const covering: Record<string, number> = {};
          if (r < 0.5) for (const p of prev) for (const c of p.clock) covering[c.actor] = Math.max(covering[c.actor] ?? 0, c.counter);
          const v = ver({ writer, ht: ++ht, clock: covering, value: value(rand), tombstone: r > 0.9, writeId: `w${ht}` });
          written.set(key, [...prev, v]);
          await e.writeBlind('acme', key, v, { purpose: 'STREAM' });
        }
      };
      for (let t = 0; t < 4; t++) {
        await writeSome(120);
        await e.flush();
      }
      await writeSome(60); // left in the memtable
      expect(e.stats().l0Tables).toBe(4);
      const expectAll = async (what: string): Promise<void> => {
        for (const key of [...keys, 'absent-1', 'key-999']) {
          const want = written.has(key) ? reduce(written.get(key)!) : [];
          expect(encs(await e.get('acme', key)), `seed ${seed} ${what} ${key}`).toEqual(encs(want));
        }
      };
      await expectAll('memtable + tables');
      // Reopen without flushing: tables on disk, an empty block cache, the memtable replayed from the log.
      await harness.close(e);
      e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes, flushOnShutdown: false, autoCompact: false });
      await expectAll('cold');
      const reads = fs.counts.read;
      await expectAll('warm');
      // With room for every block, the warm round never touched the disk.
      if (seed % 2 === 0) expect(fs.counts.read, `seed ${seed}`).toBe(reads);
      else expect(fs.counts.read, `seed ${seed}`).toBeGreaterThan(reads);
      // Concurrent reads (some sharing in-flight block reads) agree too.
      const all = await Promise.all(keys.map((k) => e.get('acme', k)));
      keys.forEach((k, i) => expect(encs(all[i]!), `seed ${seed} concurrent ${k}`).toEqual(encs(written.has(k) ? reduce(written.get(k)!) : [])));
    });
  }

  it('answers from cached blocks while the disk is stalled; a read that needs the disk waits, others do not', async () => {
    const fs = new HeldReadsFileSystem();
    let e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes: 10 * 1024 });
    const rand = prng(9);
    const n = 400;
    const versions = Array.from({ length: n }, (_, i) => ver({ writer: 'c1', ht: BASE + i, value: value(rand) }));
    const v = (i: number): Version => versions[i]!;
    for (let i = 0; i < n; i++) await e.writeBlind('acme', `k${String(i).padStart(4, '0')}`, v(i), { purpose: 'STREAM' });
    await harness.close(e); // flushes one table
    e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes: 10 * 1024 });
    const warm = `k${String(n - 1).padStart(4, '0')}`;
    const cold = 'k0000';
    expect(encs(await e.get('acme', warm))).toEqual(encs([v(n - 1)]));

    const release = fs.hold((p) => p.endsWith('.sst'));
    const reads = fs.reads;
    // The warm key's block is cached: answered with the disk held, without a read.
    expect(await settlesWithin(e.get('acme', warm), 3)).toBe(true);
    expect(fs.reads).toBe(reads);
    // The cold key needs a block from disk: it waits...
    const coldRead = e.get('acme', cold);
    expect(await settlesWithin(coldRead, 5)).toBe(false);
    expect(fs.held).toBe(1);
    // ...while reads of cached blocks still complete (they yield to the event loop, but do not queue behind it).
    for (let i = 0; i < 5; i++) expect(await settlesWithin(e.get('acme', warm), 3)).toBe(true);
    release();
    expect(encs(await coldRead)).toEqual(encs([v(0)]));
    expect(fs.held).toBe(1);
  });

  it('reads answered from memory do not starve a pending disk read (the event loop runs between them)', async () => {
    const fs = new HeldReadsFileSystem();
    let e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes: 10 * 1024 });
    const rand = prng(10);
    const n = 400;
    const versions = Array.from({ length: n }, (_, i) => ver({ writer: 'c1', ht: BASE + i, value: value(rand) }));
    for (let i = 0; i < n; i++) await e.writeBlind('acme', `k${String(i).padStart(4, '0')}`, versions[i]!, { purpose: 'STREAM' });
    await harness.close(e);
    e = await harness.open({ fs, rowCacheBytes: 0, blockCacheBytes: 10 * 1024 });
    const warm = `k${String(n - 1).padStart(4, '0')}`;
    await e.get('acme', warm);
    const release = fs.hold((p) => p.endsWith('.sst'));
    const coldRead = e.get('acme', 'k0000');
    expect(await settlesWithin(coldRead, 3)).toBe(false);
    // The disk "answers" in a later event-loop turn. A loop of reads answered from cached blocks must let that
    // turn run: each such read resolves in a microtask, and an unbroken microtask chain would hold it off forever.
    let released = false;
    setImmediate(() => {
      released = true;
      release();
    });
    let reads = 0;
    while (!released && reads < 1000) {
      await e.get('acme', warm);
      reads++;
    }
    expect(released).toBe(true);
    expect(reads).toBeLessThan(1000);
    expect(encs(await coldRead)).toEqual(encs([versions[0]!]));
  });

  it('a flush that installs a table while a read awaits the disk is seen by that read', async () => {
    const fs = new HeldReadsFileSystem();
    let e = await harness.open({ fs, rowCacheBytes: 0 });
    const a = ver({ writer: 'c1', ht: BASE + 1, value: '"a"' });
    const b = ver({ writer: 'c2', ht: BASE + 2, value: '"b"' }); // concurrent with a: both survive Reduce
    await e.writeBlind('acme', 'k', a, { purpose: 'STREAM' });
    await harness.close(e);
    e = await harness.open({ fs, rowCacheBytes: 0 });
    const [oldTable] = tablesIn(harness.dir);
    const release = fs.hold((p) => p.endsWith(oldTable!));
    const reading = e.get('acme', 'k');
    expect(await settlesWithin(reading, 5)).toBe(false);
    // Meanwhile b is written and flushed: its memtable is dropped, its table installed.
    await e.writeBlind('acme', 'k', b, { purpose: 'STREAM' });
    await e.flush();
    expect(e.stats().l0Tables).toBe(2);
    release();
    expect(encs(await reading)).toEqual(encs([a, b]));
  });

  it('refuses ill-formed keys and tenants (lone surrogates, NUL, empty) as INVALID_REQUEST; a surrogate pair is fine', async () => {
    const e = await harness.open();
    const bad = ['a\uD800', '\uDC00a', 'a\uDC00\uD800b', '\uD83D', 'x\u0000y', ''];
    for (const k of bad) {
      await expect(e.get('acme', k), JSON.stringify(k)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(e.read(k, 'key'), JSON.stringify(k)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    const v = ver({ writer: 'c1', ht: BASE + 1, value: '"emoji"' });
    await e.writeBlind('acme', 'smile-\uD83D\uDE00', v, { purpose: 'STREAM' });
    expect(encs(await e.get('acme', 'smile-\uD83D\uDE00'))).toEqual(encs([v]));
    expect(await e.get('acme', 'smile-\uD83D\uDE01')).toEqual([]);
  });

  it('a malformed entry in a CRC-valid block is CHECKSUM_MISMATCH on the disk path and on the cached path', async () => {
    let e = await harness.open({ rowCacheBytes: 0 });
    const v = (i: number): Version => ver({ writer: 'c1', ht: BASE + i, value: `"v${i}"` });
    for (let i = 0; i < 20; i++) await e.writeBlind('acme', `k${String(i).padStart(2, '0')}`, v(i), { purpose: 'STREAM' });
    await harness.close(e);
    // Set a reserved flag bit in the first version of the first entry (key k00), then re-seal the block's CRC: the
    // block passes its checks and is cached; only decoding that entry fails.
    const path = join(harness.dir, 'sst', tablesIn(harness.dir)[0]!);
    const probe = await SSTableReader.open(new NodeFileSystem(), path);
    const len = probe.index.lengths[0]!;
    await probe.close();
    const bytes = readFileSync(path);
    let off = 0;
    let klen: number;
    [klen, off] = readVarint(bytes, off);
    off += klen;
    [, off] = readVarint(bytes, off); // set_len
    [, off] = readVarint(bytes, off); // count
    [, off] = readVarint(bytes, off); // first version's length
    bytes[off]! |= 0x04;
    bytes.writeUInt32LE(crc32(bytes.subarray(0, len - 4)), len - 4);
    expect(len).toBeGreaterThan(BLOCK_TRAILER_SIZE);
    writeFileSync(path, bytes);

    e = await harness.open({ rowCacheBytes: 0 });
    for (let round = 1; round <= 2; round++) {
      // Round 1 reads the block from disk (and caches it: its CRC holds); round 2 answers from the cache.
      const err = await e.get('acme', 'k00').then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(err, `round ${round}`).toBeInstanceOf(PairdbError);
      expect((err as PairdbError).code, `round ${round}`).toBe('CHECKSUM_MISMATCH');
      expect(e.stats().checksumFailures).toBe(round);
      // Another key of the same block still reads right.
      expect(encs(await e.get('acme', 'k01'))).toEqual(encs([v(1)]));
    }
    expect(e.stats().blockCacheHitRate).toBeGreaterThan(0);
  });
});
