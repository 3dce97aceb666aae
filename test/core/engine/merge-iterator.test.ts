import { describe, expect, it } from 'vitest';
import {
  type MergeEntry,
  type MergedEntry,
  MergeOrderError,
  mergeIterator,
  mergeIteratorSync,
} from '../../../src/core/engine/merge-iterator.js';
import {
  isExpiredTombstone,
  purgeTombstones,
  tombstonePurge,
  withoutExpiredTombstones,
} from '../../../src/core/engine/tombstone-purge.js';
import type { WriteIdEntry } from '../../../src/core/engine/write-ids.js';
import { NodeFileSystem } from '../../../src/core/engine/file-system.js';
import { Memtable } from '../../../src/core/engine/memtable.js';
import { SSTableReader } from '../../../src/core/engine/sstable-reader.js';
import { writeSSTable } from '../../../src/core/engine/sstable-writer.js';
import { join } from 'node:path';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { encs, tempDir, ver } from './helpers.js';
import { ckey, prng, writeTable } from './sstable-helpers.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

async function collect(it: AsyncIterable<MergedEntry>): Promise<MergedEntry[]> {
  const out: MergedEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function* asAsync(entries: readonly MergeEntry[]): AsyncGenerator<MergeEntry> {
  for (const e of entries) {
    await Promise.resolve();
    yield e;
  }
}

/**
 * Seeded random sources over a small key space (so keys collide across sources): each key gets random versions
 * from a few writers — causal successors, concurrent siblings, tombstones, byte-identical duplicates — scattered
 * over the sources; every source holds Reduce-d sets in ckey order, as memtables and tables do.
 */
function randomSources(seed: number): { sources: MergeEntry[][]; model: Map<string, Version[]> } {
  const rand = prng(seed);
  const nSources = 1 + Math.floor(rand() * 5);
  const perSource: Map<string, Version[]>[] = Array.from({ length: nSources }, () => new Map());
  const all = new Map<string, Version[]>();
  const nKeys = 1 + Math.floor(rand() * 40);
  for (let k = 0; k < nKeys; k++) {
    const key = ckey(['acme', 'globex'][Math.floor(rand() * 2)]!, `k${Math.floor(rand() * 60)}`).toString('hex');
    const n = 1 + Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) {
      const writer = `c${1 + Math.floor(rand() * 3)}`;
      const clock: Record<string, number> = {};
      if (rand() < 0.5) clock[`c${1 + Math.floor(rand() * 3)}`] = 1 + Math.floor(rand() * 5);
      const v = ver({
        writer,
        ht: 1_000 + Math.floor(rand() * 8) * 1000,
        clock,
        tombstone: rand() < 0.25,
        value: `"${Math.floor(rand() * 4)}"`,
      });
      const copies = rand() < 0.3 ? 2 : 1; // a duplicate of the same version in another source
      for (let c = 0; c < copies; c++) {
        const s = perSource[Math.floor(rand() * nSources)]!;
        s.set(key, reduce([...(s.get(key) ?? []), v]));
      }
      all.set(key, [...(all.get(key) ?? []), v]);
    }
  }
  const sources = perSource.map((m) =>
    [...m.entries()]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
      .map(([k, versions]) => ({ ckey: Buffer.from(k, 'hex'), versions })),
  );
  const model = new Map([...all.entries()].map(([k, vs]) => [k, reduce(vs)]));
  return { sources, model };
}

function expectEqualsModel(out: readonly MergedEntry[], model: Map<string, readonly Version[]>): void {
  const keys = [...model.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
  expect(out.map((e) => e.ckey.toString('hex'))).toEqual(keys);
  for (const e of out) expect(encs(e.versions)).toEqual(encs(model.get(e.ckey.toString('hex'))!));
}

describe('mergeIterator', () => {
  it('equals a model of reduced sets over seeded random sources (siblings, tombstones, duplicates)', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const { sources, model } = randomSources(seed);
      try {
        // Mixed sync and async sources, and the sync driver, must agree with the model.
        const mixed = sources.map((s, i) => (i % 2 === 0 ? s : asAsync(s)));
        expectEqualsModel(await collect(mergeIterator(mixed, { nowMs: NOW })), model);
        expectEqualsModel([...mergeIteratorSync(sources, { nowMs: NOW })], model);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  it('output sets are canonical: merging the output again changes nothing', async () => {
    const { sources } = randomSources(42);
    const once = await collect(mergeIterator(sources, { nowMs: NOW }));
    const twice = await collect(mergeIterator([once, once], { nowMs: NOW }));
    expect(twice.map((e) => encs(e.versions))).toEqual(once.map((e) => encs(e.versions)));
  });

  it('drops a version dominated by one in another source, keeps concurrent siblings', async () => {
    const k = ckey('acme', 'a');
    const old = ver({ writer: 'c1', ht: 1000, value: '"old"' });
    const newer = ver({ writer: 'c1', ht: 2000, value: '"new"' });
    const sibling = ver({ writer: 'c2', ht: 1500, value: '"sib"' });
    const out = await collect(mergeIterator([[{ ckey: k, versions: [newer] }], [{ ckey: k, versions: [old, sibling] }]]));
    expect(out).toHaveLength(1);
    expect(encs(out[0]!.versions)).toEqual(encs([newer, sibling]));
  });

  it('in lww mode keeps only the LWW-max across sources', async () => {
    const k = ckey('acme', 'a');
    const a = ver({ writer: 'c1', ht: 1000, value: '"a"', lww: true });
    const b = ver({ writer: 'c2', ht: 3000, value: '"b"', lww: true });
    const out = await collect(mergeIterator([[{ ckey: k, versions: [a] }], [{ ckey: k, versions: [b] }]]));
    expect(encs(out[0]!.versions)).toEqual(encs([b]));
  });

  it('unions write-id lists across sources and expires ids older than 24 h', async () => {
    const k = ckey('acme', 'a');
    const w = (id: string, ts: number): WriteIdEntry => ({ writeId: Buffer.from(id), timestampMs: ts });
    const v = ver({ writer: 'c1', ht: 1000 });
    const out = await collect(
      mergeIterator(
        [
          [{ ckey: k, versions: [v], wids: [w('a', NOW - HOUR), w('z', NOW - 25 * HOUR)] }],
          [{ ckey: k, versions: [v], wids: [w('b', NOW - 2 * HOUR), w('a', NOW - HOUR)] }],
        ],
        { nowMs: NOW },
      ),
    );
    expect(out[0]!.wids.map((e) => e.writeId.toString())).toEqual(['a', 'b']);
    // A key from one source only still gets its expired ids dropped.
    const single = await collect(mergeIterator([[{ ckey: k, versions: [v], wids: [w('z', NOW - 25 * HOUR)] }]], { nowMs: NOW }));
    expect(single[0]!.wids).toEqual([]);
  });

  it('orders by bytes, not JS strings (tenant boundary at 0x00, multi-byte UTF-8)', async () => {
    const keys = [ckey('a', 'x'), ckey('a.b', 'x'), ckey('a', 'é'), ckey('a', '\u{1F600}'), ckey('a', '\uFF5E')];
    const sorted = [...keys].sort(Buffer.compare);
    const v = ver({});
    const out = await collect(
      mergeIterator([
        [sorted[0]!, sorted[3]!].map((c) => ({ ckey: c, versions: [v] })),
        [sorted[1]!, sorted[2]!, sorted[4]!].map((c) => ({ ckey: c, versions: [v] })),
      ]),
    );
    expect(out.map((e) => e.ckey.toString('hex'))).toEqual(sorted.map((c) => c.toString('hex')));
  });

  it('handles no sources and empty sources', async () => {
    expect(await collect(mergeIterator([]))).toEqual([]);
    expect(await collect(mergeIterator([[], asAsync([])]))).toEqual([]);
    expect([...mergeIteratorSync([[], []])]).toEqual([]);
  });

  it('a source out of order or repeating a key is a CORRUPT_FILE error naming it', async () => {
    const v = ver({});
    const bad = [
      { ckey: ckey('acme', 'b'), versions: [v] },
      { ckey: ckey('acme', 'a'), versions: [v] },
    ];
    const dup = [
      { ckey: ckey('acme', 'a'), versions: [v] },
      { ckey: ckey('acme', 'a'), versions: [v] },
    ];
    for (const src of [bad, dup]) {
      const err = await collect(mergeIterator([[{ ckey: ckey('acme', '0'), versions: [v] }], asAsync(src)], { sourceNames: ['mem', 't7.sst'] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MergeOrderError);
      expect((err as MergeOrderError).code).toBe('CORRUPT_FILE');
      expect((err as MergeOrderError).source).toBe(1);
      expect((err as MergeOrderError).message).toContain('t7.sst');
      expect(() => [...mergeIteratorSync([src])]).toThrow(MergeOrderError);
    }
  });

  it('closes every source when the consumer stops early', async () => {
    const closed: number[] = [];
    async function* src(i: number): AsyncGenerator<MergeEntry> {
      try {
        for (let k = 0; k < 10; k++) yield { ckey: ckey('acme', `k${k}`), versions: [ver({})] };
      } finally {
        closed.push(i);
      }
    }
    for await (const e of mergeIterator([src(0), src(1)])) {
      expect(e.ckey).toBeDefined();
      break;
    }
    expect(closed.sort()).toEqual([0, 1]);
  });
});

describe('mergeIterator over real SSTables and a memtable', () => {
  it('a compaction of three tables and a memtable writes a table equal to the model', async () => {
    const fs = new NodeFileSystem();
    const tmp = tempDir();
    const readers: SSTableReader[] = [];
    try {
      // The first seed giving four non-empty sources: a memtable and three overlapping tables.
      let seed = 1;
      while (randomSources(seed).sources.filter((x) => x.length > 0).length < 4) seed++;
      const { sources, model } = randomSources(seed);
      const mem = new Memtable(prng(1));
      for (const e of sources[0]!) {
        const s = e.ckey.indexOf(0);
        mem.merge(e.ckey.toString('utf8', 0, s), e.ckey.toString('utf8', s + 1), e.versions, [], NOW);
      }
      for (let i = 1; i < sources.length; i++) {
        if (sources[i]!.length === 0) continue;
        const info = await writeTable(fs, tmp.dir, i, sources[i]!.map((e) => ({ ckey: e.ckey, versions: e.versions, wids: [] })), { blockBytes: 256 });
        readers.push(await SSTableReader.open(fs, info.path));
      }
      expect(readers.length).toBeGreaterThanOrEqual(3);
      const out = join(tmp.dir, `${'9'.padStart(20, '0')}.sst`);
      await writeSSTable(
        { fs, path: out, fileNumber: 9, createdMs: NOW, engine: 'pairdb/test', reason: 'compaction', level: 1 },
        mergeIterator([mem, ...readers.map((r) => r.entries())], { nowMs: NOW }),
      );
      const merged = await SSTableReader.open(fs, out);
      readers.push(merged);
      const got: MergedEntry[] = [];
      for await (const e of merged.entries()) got.push(e);
      expectEqualsModel(got, model);
    } finally {
      for (const r of readers) await r.close();
      tmp.cleanup();
    }
  });
});

describe('tombstone purge (§6)', () => {
  const GRACE = 10 * 24 * HOUR;
  const k = ckey('acme', 'a');
  const tombAt = (ms: number, writer = 'c1'): Version => ver({ writer, ht: ms * 1000, tombstone: true });

  it('drops a tombstone strictly past gc_grace only when nothing outside may hold the key', () => {
    const t = tombAt(NOW - GRACE - 1);
    expect(isExpiredTombstone(t, NOW, GRACE)).toBe(true);
    expect(purgeTombstones(k, [t], { nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => false })).toEqual([]);
    expect(encs(purgeTombstones(k, [t], { nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => true }))).toEqual(encs([t]));
  });

  it('keeps a tombstone at exactly gc_grace, and never asks about keys with no expired tombstone', () => {
    const atGrace = tombAt(NOW - GRACE);
    const value = ver({ writer: 'c2', ht: (NOW - 100 * GRACE) * 1000 }); // old values are never purged
    let asked = 0;
    const opts = { nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => (asked++, false) };
    const set = [atGrace, value];
    expect(purgeTombstones(k, set, opts)).toBe(set);
    expect(asked).toBe(0);
  });

  it('drops only the expired tombstone of a sibling set, keeping the value sibling and a fresh tombstone', () => {
    const old = tombAt(NOW - GRACE - 5, 'c1');
    const fresh = tombAt(NOW - 5, 'c3');
    const value = ver({ writer: 'c2', ht: (NOW - GRACE - 10) * 1000, value: '"x"' });
    const out = purgeTombstones(k, reduce([old, fresh, value]), { nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => false });
    expect(encs(out)).toEqual(encs([fresh, value]));
    expect(withoutExpiredTombstones([fresh, value], NOW, GRACE)).toHaveLength(2);
  });

  it('as a merge callback: emptied keys are omitted and purged tombstones counted', async () => {
    const stats = { purged: 0 };
    const purge = tombstonePurge({ nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => false }, stats);
    const out = await collect(
      mergeIterator(
        [
          [
            { ckey: ckey('acme', 'a'), versions: [tombAt(NOW - GRACE - 1)] },
            { ckey: ckey('acme', 'b'), versions: [ver({ value: '"b"' })] },
          ],
          [{ ckey: ckey('acme', 'c'), versions: [tombAt(NOW - 1)] }],
        ],
        { nowMs: NOW, purge },
      ),
    );
    expect(out.map((e) => e.ckey.toString())).toEqual(['acme\0b', 'acme\0c']);
    expect(stats.purged).toBe(1);
  });

  it('a stale dominated version delivered late (in a newer table) never resurfaces', async () => {
    // History: value v1 written, deleted by tombstone t (dominates v1). t and v1 were compacted into L2.
    // Much later (past gc_grace) a hint/repair replays v1: it lands in the memtable → a NEW L0 table.
    const v1 = ver({ writer: 'c1', ht: (NOW - 20 * GRACE) * 1000, value: '"stale"' });
    const t = ver({ writer: 'c1', ht: (NOW - 2 * GRACE) * 1000, tombstone: true });
    expect(reduce([v1, t])).toHaveLength(1);
    const deep: MergeEntry[] = [{ ckey: k, versions: [t] }];
    const newerL0: MergeEntry[] = [{ ckey: k, versions: [v1] }];
    const tables = new Map<string, MergeEntry[]>([
      ['L2', deep],
      ['L0', newerL0],
    ]);
    const mayHold = (name: string, key: Buffer): boolean => tables.get(name)!.some((e) => e.ckey.equals(key));
    const read = (): Version[] => reduce([...tables.values()].flatMap((es) => es.flatMap((e) => (e.ckey.equals(k) ? [...e.versions] : []))));

    // A compaction of L2 alone (e.g. the tombstone-GC pick) must keep t: the newer L0 table may hold the key.
    const purgeL2 = tombstonePurge({ nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: (c) => mayHold('L0', c) });
    tables.set('L2', await collect(mergeIterator([deep], { nowMs: NOW, purge: purgeL2 })));
    expect(tables.get('L2')).toHaveLength(1);
    expect(read().every((v) => v.tombstone)).toBe(true);

    // Compacting L0 and L2 together: Reduce drops v1 (dominated), then t goes (nothing outside): the key is gone.
    const purgeAll = tombstonePurge({ nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: () => false });
    const merged = await collect(mergeIterator([tables.get('L0')!, tables.get('L2')!], { nowMs: NOW, purge: purgeAll }));
    expect(merged).toEqual([]);

    // Compacting only the L0 table (t outside, in L2) has no expired tombstone in its inputs: v1 is kept there and
    // the read still applies Reduce with t, so v1 stays invisible.
    const onlyL0 = await collect(mergeIterator([newerL0], { nowMs: NOW, purge: tombstonePurge({ nowMs: NOW, gcGraceMs: GRACE, mayExistOutside: (c) => mayHold('L2', c) }) }));
    expect(onlyL0).toHaveLength(1);
    tables.set('L0', onlyL0);
    expect(read().some((v) => !v.tombstone)).toBe(false);
  });
});
