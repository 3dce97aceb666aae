import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { StorageEngine } from '../../../src/core/engine/engine.js';
import { EngineMetrics, WindowedHitRatio } from '../../../src/core/engine/engine-metrics.js';
import { NodeFileSystem, type OpenFlags } from '../../../src/core/engine/file-system.js';
import { engineHarness } from './engine-harness.js';
import { ver } from './helpers.js';
import { parseMetrics, valueOf } from './metrics-helpers.js';

const harness = engineHarness('pairdb-engine-metrics-');

/** Opens an engine reporting to a fresh registry's EngineMetrics (node_id n1). */
async function openMeasured(opts: Parameters<typeof harness.open>[0] = {}) {
  const registry = new Registry();
  let engine: StorageEngine | undefined;
  const metrics = new EngineMetrics(registry, 'n1', () => engine?.stats());
  engine = await harness.open({ observer: metrics, statfs: async () => ({ bsize: 4096, blocks: 1000, bavail: 750 }), ...opts });
  const scrape = async () => parseMetrics(await registry.metrics());
  return { engine, scrape };
}

const BASE = Date.now() * 1000;
const v = (i: number) => ver({ ht: BASE + i, value: `"v${i}"`, writeId: `w${i}` });
const N = { node_id: 'n1' };

/** node:fs whose table creations wait while `gate` is set (a flush that cannot finish). */
class SstGateFileSystem extends NodeFileSystem {
  gate: Promise<void> | undefined;
  override async open(path: string, flags: OpenFlags): Promise<number> {
    if (this.gate && path.endsWith('.sst.tmp')) await this.gate;
    return super.open(path, flags);
  }
}

describe('WindowedHitRatio', () => {
  it('answers the hit ratio since the newest sample at least 60 s old (since start while none is)', () => {
    const r = new WindowedHitRatio(0);
    expect(r.sample(10_000, 9, 1)).toBeCloseTo(0.9, 9);
    expect(r.sample(70_000, 9, 11)).toBe(0); // baseline moved to t=10 s: 10 misses since
    expect(r.sample(70_500, 19, 11)).toBeCloseTo(0.5, 9); // same baseline; samples < 1 s apart are not kept
    expect(r.sample(200_000, 19, 11)).toBe(1); // baseline t=70 s (the newest ≥ 60 s old)
    expect(r.sample(201_000, 1, 1)).toBe(0); // counters went backwards (a new engine): history restarts
    expect(r.sample(202_000, 4, 1)).toBe(1);
  });

  it('is 0 with no lookups', () => {
    expect(new WindowedHitRatio(0).sample(5000, 0, 0)).toBe(0);
  });
});

describe('EngineMetrics fed by a real engine (§9 names, node_id)', () => {
  it('counts writes, reads by source, bloom outcomes, flushes, caches, commit-log batches and tables', async () => {
    const { engine: e, scrape } = await openMeasured();
    const before = await scrape();
    expect(valueOf(before, 'pairdb_engine_writes_total', { ...N, result: 'applied' })).toBe(0);
    expect(valueOf(before, 'pairdb_engine_disk_usage_ratio', N)).toBeCloseTo(0.25, 9);
    expect(valueOf(before, 'pairdb_engine_disk_state', N)).toBe(0);

    await Promise.all(Array.from({ length: 10 }, (_, i) => e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' })));
    await e.write('acme', 'k0', v(0), { purpose: 'CLIENT' }); // DUPLICATE: a no-op
    await e.writeBlind('acme', 'blind', v(50), { purpose: 'STREAM' });
    expect(await e.get('acme', 'k1')).toHaveLength(1); // memtable
    expect(await e.get('acme', 'k1')).toHaveLength(1); // row cache
    await e.flush();
    await e.get('acme', 'k2'); // table, bloom positive
    await e.get('acme', 'k25'); // in the table's range but absent: bloom negative (or, rarely, a false positive)
    await e.get('acme', 'zzz'); // outside every table's range: no bloom check

    const s = await scrape();
    expect(valueOf(s, 'pairdb_engine_writes_total', { ...N, result: 'applied' })).toBe(11);
    expect(valueOf(s, 'pairdb_engine_writes_total', { ...N, result: 'noop' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_write_duration_seconds_count', N)).toBe(12);
    expect(valueOf(s, 'pairdb_engine_reads_total', { ...N, source: 'memtable' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_reads_total', { ...N, source: 'row_cache' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_reads_total', { ...N, source: 'sstable' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_reads_total', { ...N, source: 'absent' })).toBe(2);
    expect(valueOf(s, 'pairdb_engine_read_duration_seconds_count', N)).toBe(5);
    expect(valueOf(s, 'pairdb_engine_bloom_checks_total', { ...N, result: 'positive' })).toBe(1);
    expect(
      valueOf(s, 'pairdb_engine_bloom_checks_total', { ...N, result: 'negative' }) +
        valueOf(s, 'pairdb_engine_bloom_checks_total', { ...N, result: 'false_positive' }),
    ).toBe(1);
    expect(valueOf(s, 'pairdb_engine_flushes_total', { ...N, result: 'ok' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_flushes_total', { ...N, result: 'error' })).toBe(0);
    expect(valueOf(s, 'pairdb_engine_flush_duration_seconds_count', N)).toBe(1);
    expect(valueOf(s, 'pairdb_engine_sstables', { ...N, level: '0' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_sstables', { ...N, level: '1' })).toBe(0);
    expect(valueOf(s, 'pairdb_engine_sstable_bytes', { ...N, level: '0' })).toBe(e.stats().tableBytes);
    expect(valueOf(s, 'pairdb_engine_pinned_bytes', { ...N, kind: 'bloom' })).toBeGreaterThan(0);
    expect(valueOf(s, 'pairdb_engine_pinned_bytes', { ...N, kind: 'index' })).toBeGreaterThan(0);
    expect(valueOf(s, 'pairdb_engine_memtable_bytes', { ...N, state: 'active' })).toBe(0);
    expect(valueOf(s, 'pairdb_engine_memtable_bytes', { ...N, state: 'immutable' })).toBe(0);
    // Group commit: the 10 concurrent writes share a batch; the histogram counts batches, its sum the writes.
    const batches = valueOf(s, 'pairdb_engine_commitlog_batches_total', N);
    expect(batches).toBe(e.stats().commitlogBatches);
    expect(batches).toBeLessThan(12);
    expect(valueOf(s, 'pairdb_engine_commitlog_batch_writes_count', N)).toBe(batches);
    expect(valueOf(s, 'pairdb_engine_commitlog_batch_writes_sum', N)).toBe(11);
    expect(valueOf(s, 'pairdb_engine_commitlog_sync_duration_seconds_count', N)).toBe(e.stats().commitlogSyncs);
    expect(valueOf(s, 'pairdb_engine_commitlog_bytes_total', N)).toBe(e.stats().commitlogBytesWritten);
    expect(valueOf(s, 'pairdb_engine_row_cache_hits_total', N)).toBe(1);
    expect(valueOf(s, 'pairdb_engine_row_cache_misses_total', N)).toBe(e.stats().rowCacheMisses);
    expect(valueOf(s, 'pairdb_engine_row_cache_hit_ratio', N)).toBeCloseTo(e.stats().rowCacheHitRate, 9);
    expect(valueOf(s, 'pairdb_engine_block_cache_misses_total', N)).toBeGreaterThan(0);
    expect(valueOf(s, 'pairdb_engine_block_cache_bytes', N)).toBe(e.stats().blockCacheBytes);

    // Mirrored counters add only the increase at each scrape.
    await e.write('acme', 'k99', v(99), { purpose: 'CLIENT' });
    const again = await scrape();
    expect(valueOf(again, 'pairdb_engine_writes_total', { ...N, result: 'applied' })).toBe(12);
  });

  it('counts an SSTable checksum failure by kind', async () => {
    let { engine: e } = await openMeasured();
    for (let i = 0; i < 20; i++) await e.write('acme', `k${i}`, v(i), { purpose: 'CLIENT' });
    await e.flush();
    await harness.close(e);
    const name = readdirSync(join(harness.dir, 'sst')).find((n) => n.endsWith('.sst'))!;
    const path = join(harness.dir, 'sst', name);
    const buf = readFileSync(path);
    buf[20] = buf[20]! ^ 0xff; // inside the first data block
    writeFileSync(path, buf);
    const m = await openMeasured();
    e = m.engine;
    await expect(e.get('acme', 'k3')).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    const s = await m.scrape();
    expect(valueOf(s, 'pairdb_engine_checksum_failures_total', { ...N, kind: 'sst' })).toBe(1);
    expect(valueOf(s, 'pairdb_engine_checksum_failures_total', { ...N, kind: 'manifest' })).toBe(0);
  });

  it('adds the seconds a write waited on a full memtable to write_stall_seconds_total{reason="memtable"}', async () => {
    const fs = new SstGateFileSystem();
    const { engine: e, scrape } = await openMeasured({ fs, memtableBytes: 4 * 1024, writeStallTimeoutMs: 200, flushOnShutdown: false });
    let release!: () => void;
    fs.gate = new Promise<void>((r) => (release = r));
    let i = 0;
    while (e.stats().immutableMemtableBytes === 0) await e.write('acme', `a${i}`, v(i++), { purpose: 'CLIENT' });
    while (e.stats().memtableBytes - e.stats().immutableMemtableBytes < 4 * 1024) await e.write('acme', `b${i}`, v(i++), { purpose: 'CLIENT' });
    const t0 = performance.now();
    await expect(e.write('acme', 'late', v(9999), { purpose: 'CLIENT' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const waited = (performance.now() - t0) / 1000;
    fs.gate = undefined;
    release();
    const s = await scrape();
    const stalled = valueOf(s, 'pairdb_engine_write_stall_seconds_total', { ...N, reason: 'memtable' });
    // The 200 ms stall timeout is about a floor (with slack: a timer counts from the event loop's cached time); the
    // measured duration of the call is a ceiling.
    expect(stalled).toBeGreaterThanOrEqual(0.15);
    expect(stalled).toBeLessThanOrEqual(waited + 0.001);
    expect(valueOf(s, 'pairdb_engine_write_stall_seconds_total', { ...N, reason: 'l0_stop' })).toBe(0);
    expect(valueOf(s, 'pairdb_engine_writes_total', { ...N, result: 'rejected' })).toBe(1);
  });
});
