import { statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { storageConfigFromFlags } from '../../src/commands/storage.js';
import type { FsUsage } from '../../src/core/engine/disk-guard.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import type * as pb from '../../src/core/rpc/types.js';
import { ver } from '../core/engine/helpers.js';
import { parseMetrics, valueOf } from '../core/engine/metrics-helpers.js';
import { storageDaemonHarness, defaultStorageFlags } from './storage-harness.js';

/** The storage daemon's /metrics (storage-engine.md §9) and its disk-guard view in Health, Stats and /readyz. */
const harness = storageDaemonHarness('pairdb-storage-metrics-', { adminPort: 0 });

const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 5000 });

function writeReq(key: string, purpose: pb.WriteRequest['purpose'] = 'PURPOSE_CLIENT'): pb.WriteRequest {
  return { record: { tenant_id: 'acme', key, versions: [versionToWire(ver({ ht: Date.now() * 1000 }))] }, purpose, topology_epoch: 1 };
}

function injectedDisk(usage: number) {
  const disk = {
    usage,
    statfs: async (_path: string): Promise<FsUsage> => ({ bsize: 4096, blocks: 1_000_000, bavail: Math.round(1_000_000 * (1 - disk.usage)) }),
  };
  return disk;
}

/** Every metric name of §9, as exported (counters end in _total; histograms export _bucket/_sum/_count). */
const COUNTERS = [
  'writes_total',
  'reads_total',
  'commitlog_batches_total',
  'commitlog_bytes_total',
  'commitlog_truncations_total',
  'flushes_total',
  'write_stall_seconds_total',
  'compactions_total',
  'compaction_bytes_read_total',
  'compaction_bytes_written_total',
  'tombstones_purged_total',
  'row_cache_hits_total',
  'row_cache_misses_total',
  'row_cache_evictions_total',
  'row_cache_rejections_total',
  'block_cache_hits_total',
  'block_cache_misses_total',
  'bloom_checks_total',
  'checksum_failures_total',
  'disk_rejections_total',
];
const GAUGES = [
  'memtable_bytes',
  'commitlog_segments',
  'sstables',
  'sstable_bytes',
  'row_cache_bytes',
  'row_cache_hit_ratio',
  'block_cache_bytes',
  'pinned_bytes',
  'disk_usage_ratio',
  'disk_state',
];
const HISTOGRAMS = [
  'write_duration_seconds',
  'read_duration_seconds',
  'commitlog_sync_duration_seconds',
  'commitlog_batch_writes',
  'flush_duration_seconds',
  'compaction_duration_seconds',
];

async function scrape(port: number | null) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return { text: await res.clone().text(), samples: parseMetrics(await res.text()) };
}

async function readyz(port: number | null): Promise<{ status: number; body: { status: string; checks: Record<string, unknown> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, unknown> } };
}

describe('storage daemon metrics and disk health', () => {
  it('serves every §9 pairdb_engine_* metric with node_id, fed by real traffic', async () => {
    const { daemon, client } = await harness.start({ nodeId: 'node-7' });
    await client.write(writeReq('a'), opts());
    await client.write(writeReq('b'), opts());
    await client.read({ tenant_id: 'acme', key: 'a' }, opts());
    await client.flush({ wait: true }, opts());
    await client.read({ tenant_id: 'acme', key: 'b' }, opts());
    const { text, samples } = await scrape(daemon.adminPort);

    const engineSamples = samples.filter((s) => s.name.startsWith('pairdb_engine_'));
    for (const s of engineSamples) expect(s.labels.node_id, `${s.name} ${JSON.stringify(s.labels)}`).toBe('node-7');
    const missing: string[] = [];
    for (const n of COUNTERS) if (!text.includes(`# TYPE pairdb_engine_${n} counter`)) missing.push(n);
    for (const n of GAUGES) if (!text.includes(`# TYPE pairdb_engine_${n} gauge`)) missing.push(n);
    for (const n of HISTOGRAMS) if (!text.includes(`# TYPE pairdb_engine_${n} histogram`)) missing.push(n);
    expect(missing).toEqual([]);

    const N = { node_id: 'node-7' };
    expect(valueOf(samples, 'pairdb_engine_writes_total', { ...N, result: 'applied' })).toBe(2);
    expect(valueOf(samples, 'pairdb_engine_write_duration_seconds_count', N)).toBe(2);
    expect(valueOf(samples, 'pairdb_engine_reads_total', { ...N, source: 'memtable' })).toBe(1);
    expect(valueOf(samples, 'pairdb_engine_reads_total', { ...N, source: 'sstable' })).toBe(1);
    expect(valueOf(samples, 'pairdb_engine_flushes_total', { ...N, result: 'ok' })).toBe(1);
    expect(valueOf(samples, 'pairdb_engine_sstables', { ...N, level: '0' })).toBe(1);
    expect(valueOf(samples, 'pairdb_engine_disk_usage_ratio', N)).toBeCloseTo(0.1, 6);
    expect(valueOf(samples, 'pairdb_engine_disk_state', N)).toBe(0);
    expect(valueOf(samples, 'pairdb_storage_disk_capacity_bytes', N)).toBe(4096 * 1_000_000);
    expect(valueOf(samples, 'pairdb_storage_disk_used_bytes', N)).toBe(4096 * 100_000);
    expect(valueOf(samples, 'pairdb_storage_rpc_total', { ...N, rpc: 'Write', code: 'OK' })).toBe(2);
    expect(valueOf(samples, 'pairdb_ready')).toBe(1);
  });

  it('Health is DEGRADED from warn on, with throttle/reject flags; Stats carries the disk; /readyz stays ready', async () => {
    const disk = injectedDisk(0.5);
    const { daemon, client } = await harness.start({ statfs: disk.statfs });
    const engine = daemon.engine!;
    const health = () => client.health(opts());

    let h = await health();
    expect(h).toMatchObject({ state: 'STATE_SERVING', writes_throttled: false, writes_rejected: false });
    expect(h.disk_usage_percent).toBeCloseTo(50, 6);
    expect(h.details).toMatchObject({ disk_state: 'ok' });
    expect(h.details.degraded).toBeUndefined();

    disk.usage = 0.85;
    await engine.checkDisk();
    h = await health();
    expect(h).toMatchObject({ state: 'STATE_DEGRADED', writes_throttled: false, writes_rejected: false });
    expect(h.details).toMatchObject({ disk_state: 'warn', degraded: 'disk_warn' });
    const stats = await client.stats(opts());
    expect(stats.disk_state).toBe('warn');
    expect(stats.disk_usage_percent).toBeCloseTo(85, 6);
    expect(await readyz(daemon.adminPort)).toEqual({ status: 200, body: { status: 'ready', checks: { engine: 'open', grpc: 'serving', disk: 'warn' } } });
    expect((await client.write(writeReq('k1'), opts())).outcome).toBe('OUTCOME_APPLIED');

    disk.usage = 0.91;
    await engine.checkDisk();
    h = await health();
    expect(h).toMatchObject({ state: 'STATE_DEGRADED', writes_throttled: true, writes_rejected: false, details: { degraded: 'disk_throttle' } });

    disk.usage = 0.97;
    await engine.checkDisk();
    h = await health();
    expect(h).toMatchObject({ state: 'STATE_DEGRADED', writes_throttled: false, writes_rejected: true, details: { disk_state: 'reject' } });
    // Writes of every purpose fail RESOURCE_EXHAUSTED (DISK_FULL); reads go on; the node stays ready.
    for (const purpose of ['PURPOSE_CLIENT', 'PURPOSE_HINT'] as const) {
      const err = await client.write(writeReq('k2', purpose), opts()).catch((e: unknown) => e);
      expect((err as { code?: string }).code, purpose).toBe('DISK_FULL');
    }
    expect((await client.read({ tenant_id: 'acme', key: 'k1' }, opts())).found).toBe(true);
    expect((await readyz(daemon.adminPort)).status).toBe(200);
    const { samples } = await scrape(daemon.adminPort);
    expect(valueOf(samples, 'pairdb_engine_disk_state', { node_id: 's1' })).toBe(3);
    expect(valueOf(samples, 'pairdb_engine_disk_rejections_total', { node_id: 's1' })).toBe(2);
    expect(valueOf(samples, 'pairdb_storage_rpc_total', { node_id: 's1', rpc: 'Write', code: 'DISK_FULL' })).toBe(2);

    disk.usage = 0.2;
    await engine.checkDisk();
    h = await health();
    expect(h).toMatchObject({ state: 'STATE_SERVING', writes_rejected: false });
    expect((await client.write(writeReq('k2'), opts())).outcome).toBe('OUTCOME_APPLIED');
  });

  it('reports the real statfs of the data directory by default', async () => {
    const { daemon, client } = await harness.start({ statfs: undefined });
    const s = statfsSync(harness.dir);
    const expected = ((s.blocks - s.bavail) / s.blocks) * 100;
    const h = await client.health(opts());
    // Other tests write to the same disk meanwhile: a point of slack.
    expect(Math.abs(h.disk_usage_percent - expected)).toBeLessThan(1);
    expect(daemon.engine!.stats().diskUsageKnown).toBe(true);
  });

  it('--disk-warn/--disk-throttle/--disk-reject take percents, defaults 80/90/95, and must not decrease', () => {
    const base = defaultStorageFlags(harness.dir);
    expect(storageConfigFromFlags(base).diskThresholds).toEqual({ warn: 0.8, throttle: 0.9, reject: 0.95 });
    expect(storageConfigFromFlags({ ...base, diskWarn: '70', diskThrottle: '85.5', diskReject: '99%' }).diskThresholds).toEqual({
      warn: 0.7,
      throttle: 0.855,
      reject: 0.99,
    });
    for (const bad of [{ diskWarn: '0' }, { diskReject: '101' }, { diskThrottle: 'lots' }, { diskWarn: '92' }, { diskReject: '85' }]) {
      expect(() => storageConfigFromFlags({ ...base, ...bad }), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});
