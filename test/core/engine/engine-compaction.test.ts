import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompactionRateLimiter } from '../../../src/core/engine/compaction.js';
import type { StorageEngine } from '../../../src/core/engine/engine.js';
import { FaultFileSystem } from '../../../src/core/engine/fault-file-system.js';
import { encodeCkey } from '../../../src/core/engine/memtable.js';
import { PairdbError } from '../../../src/core/errors.js';
import { engineHarness } from './engine-harness.js';
import { encs, ver, waitUntil } from './helpers.js';

/**
 * Compaction wired into the engine (storage-engine.md §6): background L0 → L1 and level compactions, trivial moves,
 * the Compact operation (full, one level, drop), tombstone purge under gc_grace, pinned tables during reads,
 * suspect tables, failures before the EDIT, and the §3 L0 / write-queue back-pressure.
 */

const harness = engineHarness('pairdb-compact-');
const T = 't1';
const BASE = 1_700_000_000_000_000; // hybrid-time base (µs) of ver()
const CLIENT = { purpose: 'CLIENT' as const };
const STREAM = { purpose: 'STREAM' as const };

const key = (i: number): string => `k${String(i).padStart(6, '0')}`;
const v = (i: number, gen = 0, writer = 'c1') => ver({ writer, ht: BASE + gen * 1_000_000 + i, value: `"v${i}.${gen}"`, writeId: `w-${writer}-${i}-${gen}` });

function sstFiles(dir: string): number[] {
  return readdirSync(join(dir, 'sst'))
    .filter((n) => n.endsWith('.sst'))
    .map((n) => Number(n.slice(0, -4)))
    .sort((a, b) => a - b);
}

function manifestFiles(e: StorageEngine): number[] {
  return [...e.manifestState.tables.values()]
    .flat()
    .map((t) => t.file)
    .sort((a, b) => a - b);
}

function levelsOf(e: StorageEngine): Record<number, number> {
  return Object.fromEntries([...e.manifestState.tables].filter(([, ts]) => ts.length > 0).map(([l, ts]) => [l, ts.length]));
}

/** Writes keys [from, to) with generation `gen`, then flushes them into one L0 table. */
async function writeAndFlush(e: StorageEngine, from: number, to: number, gen: number): Promise<void> {
  await Promise.all(Array.from({ length: to - from }, (_, j) => e.writeBlind(T, key(from + j), v(from + j, gen), STREAM)));
  await e.flush();
}

async function expectValues(e: StorageEngine, expected: Map<string, string[]>): Promise<void> {
  for (const [k, want] of expected) expect(encs(await e.get(T, k)), k).toEqual(want);
}

describe('StorageEngine compaction', () => {
  it('compacts L0 into L1 in the background once l0_trigger tables exist; every key reads the same; inputs are deleted', async () => {
    const e = await harness.open({ compaction: { l0Trigger: 3 } });
    const expected = new Map<string, string[]>();
    for (let t = 0; t < 3; t++) {
      // Overlapping tables: every flush rewrites half of the previous keys with a newer generation.
      await writeAndFlush(e, t * 50, t * 50 + 100, t);
    }
    for (let i = 0; i < 200; i++) {
      const gen = Math.min(2, Math.floor(i / 50));
      const gens = [gen, gen - 1].filter((g) => g >= 0 && i >= g * 50 && i < g * 50 + 100);
      expected.set(key(i), encs([v(i, Math.max(...gens))]));
    }
    await waitUntil(() => e.stats().compactions >= 1 && (e.manifestState.tables.get(0)?.length ?? 0) === 0, 'L0 compaction');
    expect(levelsOf(e)).toEqual({ 1: 1 });
    await expectValues(e, expected);
    // Obsolete inputs are unlinked once no read pins them: the directory holds exactly the manifest's tables.
    await waitUntil(() => sstFiles(harness.dir).length === manifestFiles(e).length, 'inputs deleted');
    expect(sstFiles(harness.dir)).toEqual(manifestFiles(e));
    await harness.close(e);
    const again = await harness.open({ compaction: { l0Trigger: 3 } });
    await expectValues(again, expected);
    expect(again.stats().keyCount).toBe(200);
  });

  it('keeps siblings, drops dominated versions, and keeps write-id memory through a compaction', async () => {
    const e = await harness.open({ autoCompact: false });
    // Write ids are remembered 24 h from their version's timestamp: use current times.
    const now = Date.now() * 1000;
    const a = ver({ writer: 'c1', ht: now + 1, value: '"a"', writeId: 'wa' });
    const b = ver({ writer: 'c2', ht: now + 2, value: '"b"', writeId: 'wb' });
    const old = ver({ writer: 'c3', ht: now + 3, value: '"old"', writeId: 'wo' });
    const newer = ver({ writer: 'c3', ht: now + 4, value: '"new"', writeId: 'wn' });
    await e.write(T, 'sib', a, CLIENT);
    await e.write(T, 'dom', old, CLIENT);
    await e.flush();
    await e.write(T, 'sib', b, CLIENT);
    await e.write(T, 'dom', newer, CLIENT);
    await e.flush();
    const summary = await e.compact();
    expect(summary.tablesIn).toBe(2);
    expect(summary.tablesOut).toBe(1);
    expect(levelsOf(e)).toEqual({ 1: 1 });
    expect(encs(await e.get(T, 'sib')).sort()).toEqual(encs([a, b]).sort());
    expect(encs(await e.get(T, 'dom'))).toEqual(encs([newer]));
    // The dominated version's write id is still remembered (§13: write-id memory is merged by union, not by clock).
    const wids = (await e.recentWrites(T, 'dom')).map((w) => w.writeId.toString());
    expect(wids.sort()).toEqual(['wn', 'wo']);
    const dup = await e.write(T, 'dom', old, CLIENT);
    expect(dup.outcome).toBe('DUPLICATE');
  });

  it('compact() moves every level down until all data sits in one level, with a trivial move when nothing overlaps', async () => {
    const e = await harness.open({ autoCompact: false });
    await writeAndFlush(e, 0, 100, 0);
    const only = manifestFiles(e)[0]!;
    // One L0 table, nothing below: L0 → L1 is a move (same file, no rewrite).
    await e.compact({ level: 0 });
    expect(levelsOf(e)).toEqual({ 1: 1 });
    expect(manifestFiles(e)).toEqual([only]);
    await e.compact({ level: 1 });
    expect(levelsOf(e)).toEqual({ 2: 1 });
    expect(manifestFiles(e)).toEqual([only]);
    await writeAndFlush(e, 50, 150, 1);
    await writeAndFlush(e, 120, 130, 2);
    const s = await e.compact();
    expect(levelsOf(e)).toEqual({ 2: 1 });
    expect(s.tablesIn).toBeGreaterThanOrEqual(2);
    const expected = new Map<string, string[]>();
    for (let i = 0; i < 150; i++) expected.set(key(i), encs([v(i, i >= 120 && i < 130 ? 2 : i >= 50 ? 1 : 0)]));
    await expectValues(e, expected);
    await waitUntil(() => sstFiles(harness.dir).length === manifestFiles(e).length, 'inputs deleted');
    // The manifest survives a restart with the moved levels.
    await harness.close(e);
    const again = await harness.open({ autoCompact: false });
    expect(levelsOf(again)).toEqual({ 2: 1 });
    await expectValues(again, expected);
  });

  it('splits outputs at target_file_bytes into disjoint tables of the output level', async () => {
    const e = await harness.open({ autoCompact: false, compaction: { targetFileBytes: 8 * 1024 } });
    await writeAndFlush(e, 0, 600, 0);
    await writeAndFlush(e, 300, 900, 1);
    await e.compact();
    const l1 = e.manifestState.tables.get(1) ?? [];
    expect(l1.length).toBeGreaterThan(3);
    for (let i = 1; i < l1.length; i++) expect(l1[i - 1]!.maxKey < l1[i]!.minKey).toBe(true);
    expect(l1.reduce((n, t) => n + t.keys, 0)).toBe(900);
    for (const i of [0, 299, 300, 599, 600, 899]) expect(encs(await e.get(T, key(i)))).toEqual(encs([v(i, i >= 300 ? 1 : 0)]));
  });

  it('compact({ drop }) omits matching keys everywhere, in every level', async () => {
    const e = await harness.open({ autoCompact: false });
    await writeAndFlush(e, 0, 100, 0);
    await e.compact();
    await writeAndFlush(e, 50, 60, 1);
    const dropped = new Set(Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 === 0).map((i) => encodeCkey(T, key(i)).toString('hex')));
    const s = await e.compact({ drop: (ckey) => dropped.has(ckey.toString('hex')) });
    expect(s.entriesDropped).toBe(34);
    for (let i = 0; i < 100; i++) {
      const got = await e.get(T, key(i));
      if (i % 3 === 0) expect(got, key(i)).toEqual([]);
      else expect(encs(got)).toEqual(encs([v(i, i >= 50 && i < 60 ? 1 : 0)]));
    }
    await expect(e.compact({ level: 0, drop: () => true })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('purges a tombstone only after gc_grace and never lets the deleted value back', async () => {
    let now = 1_700_000_000_000;
    const grace = 60_000;
    const e = await harness.open({ autoCompact: false, now: () => now, compaction: { gcGraceMs: grace } });
    const value = ver({ writer: 'c1', ht: (now - 1000) * 1000, value: '"x"', writeId: 'w1' });
    const tomb = ver({ writer: 'c1', ht: now * 1000, tombstone: true, writeId: 'w2' });
    await e.writeBlind(T, 'gone', value, STREAM);
    await e.flush();
    await e.compact();
    await e.compact({ level: 1 }); // the value sits in L2
    expect(levelsOf(e)).toEqual({ 2: 1 });
    await e.writeBlind(T, 'gone', tomb, STREAM);
    await e.flush();
    // Before gc_grace: compaction keeps the tombstone (a replica that missed the delete must still learn of it).
    await e.compact();
    expect(encs(await e.get(T, 'gone'))).toEqual(encs([tomb]));
    expect(e.stats().tombstonesPurged).toBe(0);
    // A stale copy of the old value arrives late (hint, repair) into a newer table: the tombstone dominates it.
    await e.writeBlind(T, 'gone', value, STREAM);
    await e.flush();
    now += grace + 1;
    await e.compact();
    expect(await e.get(T, 'gone')).toEqual([]);
    expect(e.stats().tombstonesPurged).toBe(1);
    expect(manifestFiles(e).length).toBe(0);
    await harness.close(e);
    const again = await harness.open({ autoCompact: false, now: () => now, compaction: { gcGraceMs: grace } });
    expect(await again.get(T, 'gone')).toEqual([]);
  });

  it('keeps an expired tombstone while a memtable or a table outside the compaction may hold the key', async () => {
    let now = 1_700_000_000_000;
    const grace = 60_000;
    const e = await harness.open({ autoCompact: false, now: () => now, compaction: { gcGraceMs: grace } });
    const tomb = ver({ writer: 'c1', ht: now * 1000, tombstone: true, writeId: 'w2' });
    const stale = ver({ writer: 'c1', ht: (now - 1000) * 1000, value: '"stale"', writeId: 'w1' });
    await e.writeBlind(T, 'k', tomb, STREAM);
    await e.flush();
    now += grace + 1;
    // The stale value sits in the memtable: purging the tombstone now would let it come back.
    await e.writeBlind(T, 'k', stale, STREAM);
    await e.compact({ level: 0 });
    expect(encs(await e.get(T, 'k'))).toEqual(encs([tomb]));
    expect(e.stats().tombstonesPurged).toBe(0);
  });

  it('serves reads from pinned tables while a compaction replaces them', async () => {
    const e = await harness.open({ autoCompact: false, compactionBytesPerSec: 64 * 1024 });
    for (let t = 0; t < 4; t++) await writeAndFlush(e, t * 200, t * 200 + 400, t);
    const want = (i: number): string[] => encs([v(i, Math.min(3, Math.floor(i / 200)))]);
    const job = e.compact();
    let reads = 0;
    let done = false;
    void job.finally(() => (done = true));
    while (!done) {
      // Reads answered from the row cache resolve in microtasks: let the compaction's I/O callbacks run.
      await new Promise((r) => setImmediate(r));
      const i = (reads * 37) % 1000;
      expect(encs(await e.get(T, key(i)))).toEqual(want(i));
      reads++;
    }
    await job;
    expect(reads).toBeGreaterThan(10);
    for (let i = 0; i < 1000; i += 7) expect(encs(await e.get(T, key(i)))).toEqual(want(i));
  });

  it('marks a table with a bad data block suspect, leaves it out of later compactions, and keeps its data readable elsewhere', async () => {
    const e = await harness.open({ compaction: { l0Trigger: 2 }, autoCompact: true, blockCacheBytes: 0 });
    await writeAndFlush(e, 0, 300, 0);
    const bad = manifestFiles(e)[0]!;
    // Flip a byte in the first data block (block CRCs are checked on read; open only checks index/bloom/properties).
    const path = join(harness.dir, 'sst', `${String(bad).padStart(20, '0')}.sst`);
    const bytes = readFileSync(path);
    bytes[10] ^= 0xff;
    writeFileSync(path, bytes);
    await writeAndFlush(e, 1000, 1100, 1);
    await waitUntil(() => e.suspectTables.length === 1, 'suspect table');
    expect(e.suspectTables).toEqual([bad]);
    expect(e.stats().suspectTables).toBe(1);
    expect(e.stats().checksumFailures).toBeGreaterThanOrEqual(1);
    // Nothing was dropped: the suspect table stays in L0 (versions merge, never shadow, so the good table may move
    // below it), and the good one still reads.
    await waitUntil(() => e.manifestState.tables.get(1)?.length === 1, 'good table compacted alone');
    expect(e.manifestState.tables.get(0)?.map((t) => t.file)).toEqual([bad]);
    expect(encs(await e.get(T, key(1000)))).toEqual(encs([v(1000, 1)]));
    await expect(e.get(T, key(0))).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    await expect(e.compact()).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
  });

  it('deletes the outputs of a compaction that fails before its EDIT and retries it later', async () => {
    const fs = new FaultFileSystem();
    const e = await harness.open({ fs, autoCompact: false });
    await writeAndFlush(e, 0, 100, 0);
    await writeAndFlush(e, 50, 150, 1);
    const before = manifestFiles(e);
    // The output's rename fails: nothing is committed and no output file is left behind.
    fs.failAt('rename', 1, 'EIO');
    await expect(e.compact()).rejects.toThrow();
    expect(manifestFiles(e)).toEqual(before);
    expect(sstFiles(harness.dir)).toEqual(before);
    expect(readdirSync(join(harness.dir, 'sst')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await e.compact();
    expect(levelsOf(e)).toEqual({ 1: 1 });
    for (let i = 0; i < 150; i += 10) expect(encs(await e.get(T, key(i)))).toEqual(encs([v(i, i >= 50 ? 1 : 0)]));
  });

  it('holds writes while L0 ≥ l0_stop and releases them when compaction brings it down; times out otherwise', async () => {
    // l0_trigger far away so the background picker leaves L0 alone until compact() is called.
    const e = await harness.open({ compaction: { l0Trigger: 100 }, l0Slowdown: 2, l0Stop: 3, writeStallTimeoutMs: 300 });
    for (let t = 0; t < 3; t++) await writeAndFlush(e, t * 10, t * 10 + 10, t);
    await expect(e.write(T, 'late', v(1), CLIENT)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const held = e.write(T, 'held', v(2), CLIENT);
    let settled = false;
    void held.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    await e.compact({ level: 0 });
    expect((await held).outcome).toBe('APPLIED');
    expect(e.stats().writeStalls).toBeGreaterThanOrEqual(2);
  });

  it('delays writes by 1 ms while L0 ≥ l0_slowdown', async () => {
    const e = await harness.open({ compaction: { l0Trigger: 100 }, l0Slowdown: 2, l0Stop: 50 });
    for (let t = 0; t < 2; t++) await writeAndFlush(e, t * 10, t * 10 + 10, t);
    const before = e.stats().l0Slowdowns;
    await e.write(T, 'slow', v(1), CLIENT);
    expect(e.stats().l0Slowdowns).toBe(before + 1);
    expect(encs(await e.get(T, 'slow'))).toEqual(encs([v(1)]));
  });

  it('rejects writes with WRITE_QUEUE_FULL (ResourceExhausted) while the queue is over write_queue_bytes', async () => {
    const e = await harness.open({ writeQueueBytes: 1 });
    const first = e.write(T, 'a', v(1), CLIENT);
    const second = e.write(T, 'b', v(2), CLIENT);
    await expect(second).rejects.toMatchObject({ code: 'WRITE_QUEUE_FULL' });
    expect((await first).outcome).toBe('APPLIED');
    const err = await second.catch((x: unknown) => x);
    expect(PairdbError.from(err).grpcCode).toBe(8); // RESOURCE_EXHAUSTED
    // Once the queue drained, writes pass again.
    expect((await e.write(T, 'c', v(3), CLIENT)).outcome).toBe('APPLIED');
  });
});

describe('CompactionRateLimiter', () => {
  it('lets a second of burst through, then asks callers to wait in proportion to the bytes', () => {
    let now = 0;
    const lim = new CompactionRateLimiter(1000, () => false, () => now);
    expect(lim.take(1000)).toBe(0);
    expect(lim.take(500)).toBeCloseTo(500);
    now = 500;
    expect(lim.take(0)).toBe(0);
    expect(lim.take(1000)).toBeCloseTo(1000);
  });

  it('is lifted while its condition holds and off when the rate is 0', () => {
    let lifted = true;
    const lim = new CompactionRateLimiter(10, () => lifted, () => 0);
    expect(lim.take(1_000_000)).toBe(0);
    lifted = false;
    expect(lim.take(20)).toBeGreaterThan(0);
    expect(new CompactionRateLimiter(0).take(1e9)).toBe(0);
  });
});
