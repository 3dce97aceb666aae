import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DISK_STATES, diskStateLevel } from './disk-guard.js';
import type { EngineStats } from './engine.js';

/**
 * The engine metrics of storage-engine.md §9 (prefix `pairdb_engine_`, label `node_id` on all), and the observer
 * interface the engine reports events through.
 *
 * Two paths, chosen to keep the write/read hot path cheap:
 * - numbers the engine, the commit log or the caches already count (plain integer fields) are mirrored into
 *   counters/gauges at scrape time from `EngineStats` — no per-operation cost at all;
 * - events that carry a duration or a label only the moment knows (read source, stall reason, flush result,
 *   compaction kind/result, checksum kind) arrive through `EngineObserver`, whose implementation here increments
 *   pre-bound label children (no label object or hashing per call).
 */

export type WriteMetricResult = 'applied' | 'noop' | 'rejected';
export type ReadSource = 'row_cache' | 'memtable' | 'sstable' | 'absent';
export type StallReason = 'memtable' | 'l0_slowdown' | 'l0_stop' | 'queue';
export type FlushResult = 'ok' | 'error';
export type ChecksumKind = 'sst' | 'commitlog' | 'manifest';

/** What the engine reports as it works. All methods must be cheap and must not throw. */
export interface EngineObserver {
  /** One write (writeVersions/writeBlind) settled, `seconds` after it was called (stall and throttle waits included). */
  write(result: WriteMetricResult, seconds: number): void;
  /** One successful point read, by where its answer came from (`sstable` when any table contributed). */
  read(source: ReadSource, seconds: number): void;
  /** One flush attempt (a failed attempt is retried and reported again). */
  flush(result: FlushResult, seconds: number): void;
  /** A write waited `seconds` for back-pressure to clear (§3 table). */
  stall(reason: StallReason, seconds: number): void;
  checksumFailure(kind: ChecksumKind): void;
  /** One commit-log fdatasync took `seconds`. */
  commitlogSync(seconds: number): void;
  /** One commit-log batch carried `writes` writes. */
  commitlogBatch(writes: number): void;
  /** One compaction job ended (called by the compaction code). */
  compaction(kind: string, result: string, seconds: number, bytesRead: number, bytesWritten: number, tombstonesPurged: number): void;
}

// 0.5 ms … 10 s (cli-and-ops.md §5)
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Flushes and compactions run for seconds to minutes.
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
/** Levels always exported (0..max-level 6), so a level that empties shows 0 rather than vanishing. */
const LEVELS = [0, 1, 2, 3, 4, 5, 6];
/** `row_cache_hit_ratio` covers the last 60 s (§9). */
export const HIT_RATIO_WINDOW_MS = 60_000;

/**
 * Hit ratio over roughly the last `windowMs`, from cumulative hit/miss counts sampled at scrape time: the ratio of
 * the increase since the newest sample at least `windowMs` old (the oldest one while none is that old). No timer:
 * samples are only taken when someone asks, and at most one per second is kept. Pure: the caller passes the clock.
 */
export class WindowedHitRatio {
  readonly windowMs: number;
  readonly #samples: Array<{ t: number; hits: number; misses: number }>;

  /** Counts start at 0 at `startMs` (the engine's counters are cumulative from its open). */
  constructor(startMs: number, windowMs = HIT_RATIO_WINDOW_MS) {
    this.windowMs = windowMs;
    this.#samples = [{ t: startMs, hits: 0, misses: 0 }];
  }

  /** Records the cumulative counts at `nowMs` and returns hits / lookups over the window (0 with no lookups). */
  sample(nowMs: number, hits: number, misses: number): number {
    const s = this.#samples;
    const last = s[s.length - 1];
    // Counters that went backwards (a new engine) start a new history.
    if (last && (hits < last.hits || misses < last.misses)) s.length = 0;
    if (s.length === 0 || nowMs - s[s.length - 1]!.t >= 1000) s.push({ t: nowMs, hits, misses });
    // Keep exactly one sample at least windowMs old: the baseline.
    while (s.length > 1 && nowMs - s[1]!.t >= this.windowMs) s.shift();
    const base = s[0]!;
    const dh = hits - base.hits;
    const dm = misses - base.misses;
    return dh + dm === 0 ? 0 : dh / (dh + dm);
  }
}

/**
 * Registers every §9 metric on `registry` and implements EngineObserver. `stats` is read at scrape time (undefined
 * while no engine is open: mirrored metrics then keep their last values, gauges read 0).
 */
export class EngineMetrics implements EngineObserver {
  readonly #writeDuration: Histogram.Internal<'node_id'>;
  readonly #readDuration: Histogram.Internal<'node_id'>;
  readonly #reads: Record<ReadSource, Counter.Internal>;
  readonly #flushes: Record<FlushResult, Counter.Internal>;
  readonly #flushDuration: Histogram.Internal<'node_id'>;
  readonly #stallSeconds: Record<StallReason, Counter.Internal>;
  readonly #checksums: Record<ChecksumKind, Counter.Internal>;
  readonly #syncDuration: Histogram.Internal<'node_id'>;
  readonly #batchWrites: Histogram.Internal<'node_id'>;
  readonly #compactions: Counter<string>;
  readonly #compactionChildren = new Map<string, Counter.Internal>();
  readonly #compactionDuration: Histogram.Internal<'node_id'>;
  readonly #compactionRead: Counter.Internal;
  readonly #compactionWritten: Counter.Internal;
  readonly #purged: Counter.Internal;
  readonly #nodeId: string;

  constructor(registry: Registry, nodeId: string, stats: () => EngineStats | undefined, now: () => number = Date.now) {
    this.#nodeId = nodeId;
    const node = { node_id: nodeId };
    const registers = [registry];
    // One stats() per scrape: the first collector takes it, the next event-loop turn forgets it.
    let cached: EngineStats | undefined;
    let have = false;
    const snap = (): EngineStats | undefined => {
      if (!have) {
        cached = stats();
        have = true;
        setImmediate(() => {
          have = false;
          cached = undefined;
        });
      }
      return cached;
    };

    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new Counter<string>({ name: `pairdb_engine_${name}`, help, labelNames: ['node_id', ...labelNames], registers });
    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram<'node_id'>({ name: `pairdb_engine_${name}`, help, labelNames: ['node_id'], buckets, registers }).labels(node);
    /** Pre-binds one child per label value, so the hot path never builds a label object. */
    const children = <V extends string>(c: Counter<string>, label: string, values: readonly V[]) => {
      const out = {} as Record<V, Counter.Internal>;
      for (const v of values) {
        out[v] = c.labels({ ...node, [label]: v });
        // Exported at 0 from the start: a series that appears only on its first event breaks rate() and alerts.
        out[v].inc(0);
      }
      return out;
    };
    /** A counter following a cumulative number the engine keeps (deltas are added at scrape time). */
    const mirror = (name: string, help: string, label: string | undefined, read: (s: EngineStats) => Array<[string, number]>) => {
      const seen = new Map<string, number>();
      const c = new Counter({
        name: `pairdb_engine_${name}`,
        help,
        labelNames: label ? ['node_id', label] : ['node_id'],
        registers,
        collect() {
          const s = snap();
          if (!s) return;
          for (const [value, n] of read(s)) {
            const prev = seen.get(value);
            const delta = n - (prev ?? 0);
            // The first scrape creates every labelled series, at 0 if need be.
            if (delta > 0 || prev === undefined) this.inc(label ? { ...node, [label]: value } : node, Math.max(0, delta));
            seen.set(value, n);
          }
        },
      });
      // Present (at 0) from the first scrape on, before the engine counts anything.
      if (!label) c.inc(node, 0);
      return c;
    };
    const gauge = (name: string, help: string, label: string | undefined, read: (s: EngineStats) => Array<[string, number]>) =>
      new Gauge({
        name: `pairdb_engine_${name}`,
        help,
        labelNames: label ? ['node_id', label] : ['node_id'],
        registers,
        collect() {
          const s = snap();
          if (!s) {
            if (!label) this.set(node, 0);
            return;
          }
          for (const [value, n] of read(s)) this.set(label ? { ...node, [label]: value } : node, n);
        },
      });
    const one = (n: number): Array<[string, number]> => [['', n]];

    // --- counters mirrored from EngineStats ---
    mirror('writes_total', 'Writes by result (noop: DOMINATED or DUPLICATE, not logged)', 'result', (s) => [
      ['applied', s.writesApplied],
      ['noop', s.writesNoop],
      ['rejected', s.writesRejected],
    ]);
    mirror('commitlog_batches_total', 'Commit-log batches written', undefined, (s) => one(s.commitlogBatches));
    mirror('commitlog_bytes_total', 'Bytes appended to the commit log', undefined, (s) => one(s.commitlogBytesWritten));
    mirror('commitlog_writes_total', 'Writes logged in the commit log', undefined, (s) => one(s.commitlogWrites));
    mirror('commitlog_truncations_total', 'Commit-log tails cut back: a torn tail at recovery, or a partial write on ENOSPC', 'reason', (s) => [
      ['torn', s.commitlogTornTruncations],
      ['enospc', s.commitlogEnospcTruncations],
    ]);
    mirror('row_cache_hits_total', 'Row cache hits', undefined, (s) => one(s.rowCacheHits));
    mirror('row_cache_misses_total', 'Row cache misses', undefined, (s) => one(s.rowCacheMisses));
    mirror('row_cache_evictions_total', 'Row cache entries evicted to make room', undefined, (s) => one(s.rowCacheEvictions));
    mirror('row_cache_rejections_total', 'Row cache entries refused (too heavy, or lost the admission contest)', undefined, (s) =>
      one(s.rowCacheRejections),
    );
    mirror('block_cache_hits_total', 'Block cache hits', undefined, (s) => one(s.blockCacheHits));
    mirror('block_cache_misses_total', 'Block cache misses', undefined, (s) => one(s.blockCacheMisses));
    mirror('bloom_checks_total', 'Bloom filter checks of tables whose key range holds the key', 'result', (s) => [
      ['negative', s.bloomNegative],
      ['positive', s.bloomPositive],
      ['false_positive', s.bloomFalsePositive],
    ]);
    mirror('disk_rejections_total', 'Writes refused by the disk guard (reject state, or a throttle wait over 1 s)', undefined, (s) =>
      one(s.diskRejections),
    );

    // --- counters driven by observer events ---
    this.#reads = children(counter('reads_total', 'Point reads by the source of the answer', ['source']), 'source', [
      'row_cache',
      'memtable',
      'sstable',
      'absent',
    ] as const);
    this.#flushes = children(counter('flushes_total', 'Memtable flush attempts by result', ['result']), 'result', ['ok', 'error'] as const);
    this.#stallSeconds = children(counter('write_stall_seconds_total', 'Seconds writes spent waiting on back-pressure', ['reason']), 'reason', [
      'memtable',
      'l0_slowdown',
      'l0_stop',
      'queue',
    ] as const);
    this.#compactions = counter('compactions_total', 'Compaction jobs by kind and result', ['kind', 'result']);
    this.#compactionRead = counter('compaction_bytes_read_total', 'Bytes read by compactions').labels(node);
    this.#compactionWritten = counter('compaction_bytes_written_total', 'Bytes written by compactions').labels(node);
    this.#purged = counter('tombstones_purged_total', 'Tombstones dropped by compactions (past gc_grace, §6)').labels(node);
    this.#checksums = children(counter('checksum_failures_total', 'Checksum or format failures found while serving', ['kind']), 'kind', [
      'sst',
      'commitlog',
      'manifest',
    ] as const);

    // --- gauges ---
    gauge('memtable_bytes', 'Accounted memtable bytes', 'state', (s) => [
      ['active', s.memtableBytes - s.immutableMemtableBytes],
      ['immutable', s.immutableMemtableBytes],
    ]);
    gauge('commitlog_segments', 'Commit-log segment files', undefined, (s) => one(s.segments));
    gauge('sstables', 'Live SSTables per level', 'level', (s) => LEVELS.map((l) => [String(l), s.levels.get(l)?.tables ?? 0]));
    gauge('sstable_bytes', 'Live SSTable bytes per level', 'level', (s) => LEVELS.map((l) => [String(l), s.levels.get(l)?.bytes ?? 0]));
    gauge('row_cache_bytes', 'Row cache bytes', undefined, (s) => one(s.rowCacheBytes));
    const ratio = new WindowedHitRatio(now());
    gauge('row_cache_hit_ratio', 'Row cache hit ratio over the last 60 s', undefined, (s) => one(ratio.sample(now(), s.rowCacheHits, s.rowCacheMisses)));
    gauge('block_cache_bytes', 'Block cache bytes', undefined, (s) => one(s.blockCacheBytes));
    gauge('pinned_bytes', 'Index (with properties) and bloom blocks pinned by open tables', 'kind', (s) => [
      ['index', s.pinnedIndexBytes],
      ['bloom', s.pinnedBloomBytes],
    ]);
    gauge('disk_usage_ratio', 'Used fraction of the fullest file system under data_dir, (blocks - bavail) / blocks', undefined, (s) =>
      one(s.diskUsageRatio),
    );
    gauge('disk_state', `Disk guard state: ${DISK_STATES.map((d, i) => `${i} ${d}`).join(', ')}`, undefined, (s) => one(diskStateLevel(s.diskState)));

    // --- histograms ---
    this.#writeDuration = histogram('write_duration_seconds', 'Write latency, from the call to the ack', SECONDS_BUCKETS);
    this.#readDuration = histogram('read_duration_seconds', 'Point read latency', SECONDS_BUCKETS);
    this.#syncDuration = histogram('commitlog_sync_duration_seconds', 'Commit-log fdatasync duration', SECONDS_BUCKETS);
    this.#batchWrites = histogram('commitlog_batch_writes', 'Writes per commit-log batch (group commit)', BATCH_BUCKETS);
    this.#flushDuration = histogram('flush_duration_seconds', 'Memtable flush duration', JOB_BUCKETS);
    this.#compactionDuration = histogram('compaction_duration_seconds', 'Compaction job duration', JOB_BUCKETS);
  }

  write(_result: WriteMetricResult, seconds: number): void {
    // writes_total is mirrored from EngineStats, which also counts writes refused before any timing starts.
    this.#writeDuration.observe(seconds);
  }

  read(source: ReadSource, seconds: number): void {
    this.#reads[source].inc();
    this.#readDuration.observe(seconds);
  }

  flush(result: FlushResult, seconds: number): void {
    this.#flushes[result].inc();
    this.#flushDuration.observe(seconds);
  }

  stall(reason: StallReason, seconds: number): void {
    this.#stallSeconds[reason].inc(seconds);
  }

  checksumFailure(kind: ChecksumKind): void {
    this.#checksums[kind].inc();
  }

  commitlogSync(seconds: number): void {
    this.#syncDuration.observe(seconds);
  }

  commitlogBatch(writes: number): void {
    this.#batchWrites.observe(writes);
  }

  compaction(kind: string, result: string, seconds: number, bytesRead: number, bytesWritten: number, tombstonesPurged: number): void {
    const k = `${kind}\u0000${result}`;
    let c = this.#compactionChildren.get(k);
    if (!c) {
      c = this.#compactions.labels({ node_id: this.#nodeId, kind, result });
      this.#compactionChildren.set(k, c);
    }
    c.inc();
    this.#compactionDuration.observe(seconds);
    if (bytesRead > 0) this.#compactionRead.inc(bytesRead);
    if (bytesWritten > 0) this.#compactionWritten.inc(bytesWritten);
    if (tombstonesPurged > 0) this.#purged.inc(tombstonesPurged);
  }
}
