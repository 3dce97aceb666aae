import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import { encodedVersionSize } from '../model/version-codec.js';
import type { Logger } from '../observability/logger.js';
import { LruBlockCache } from './block-cache.js';
import { BLOOM_SEED_1, BLOOM_SEED_2, murmur3 } from './bloom.js';
import { CommitLog, type CommitLogSync, type ReplayReport } from './commit-log.js';
import type { LogWrite } from './commit-log-format.js';
import { DataDirLock, isPidAlive } from './data-dir-lock.js';
import { CompactionRateLimiter, discardOutputs, runCompaction, tableMetaOf } from './compaction.js';
import {
  type CompactionPick,
  type CompactionPolicy,
  DEFAULT_COMPACTION_POLICY,
  keyRange,
  levelScore,
  overlapping,
  pickCompaction,
  pickTombstoneGc,
} from './compaction-picker.js';
import { DiskGuard, type DiskState, type DiskThresholds, type StatfsFn } from './disk-guard.js';
import type { EngineObserver, ReadSource } from './engine-metrics.js';
import { type FileSystem, NodeFileSystem, SyncFailedError, errnoCode } from './file-system.js';
import { type MergeEntry, type MergedEntry, MergeOrderError, mergeIterator } from './merge-iterator.js';
import { type RangeDigest, RangeDigestBuilder, ckeyPosition, inRingRange } from './range-digest.js';
import { Manifest, type ManifestState, type TableMeta } from './manifest.js';
import { lostLogStartProblem, segmentNumbers } from './manifest-orphans.js';
import { type MemEntry, type MergeHint, Memtable, encodeCkey } from './memtable.js';
import { tombstonePurge, withoutExpiredTombstones } from './tombstone-purge.js';
import { RowCache, rowWeight } from './row-cache.js';
import { compareBytes, sstFileName } from './sstable-format.js';
import { BLOCK_MISS, type BlockMiss, SSTableCorruptionError, SSTableReader } from './sstable-reader.js';
import { type SnapshotContent, writeSnapshotFiles } from './snapshot.js';
import { type SSTableEntry, writeSSTable } from './sstable-writer.js';
import { NO_WRITE_IDS, WRITE_ID_TTL_MS, type WriteIdEntry, hasWriteId, mergeWriteIds, writeIdsSize } from './write-ids.js';

/** Why a write arrives (rpc.md WritePurpose); only CLIENT writes are deduplicated by write id and capped. */
export type WritePurpose = 'CLIENT' | 'HINT' | 'READ_REPAIR' | 'REPAIR' | 'STREAM';

export type WriteOutcome = 'APPLIED' | 'DOMINATED' | 'DUPLICATE';

export interface WriteOptions {
  readonly purpose: WritePurpose;
  /** Absolute unix ms; a write is never logged after it (rpc.md §4). */
  readonly deadlineMs?: number;
  /** Write-id pairs carried by an internal write (KeyRecord.recent_writes), merged by union. */
  readonly recentWrites?: readonly WriteIdEntry[];
}

export interface WriteResult {
  readonly outcome: WriteOutcome;
  /** The key's Reduce-d set after the write (tombstones included). */
  readonly current: readonly Version[];
}

export interface EngineStats {
  /**
   * Keys with at least one live version. Approximate once tables exist: memtable keys plus each table's
   * (keys − tombstones), so a key held by several sources is counted in each (no read of the tables).
   */
  readonly keyCount: number;
  /** Keys whose versions are all tombstones (approximate across tables, like keyCount). */
  readonly tombstoneCount: number;
  /** Active + immutable memtable bytes. */
  readonly memtableBytes: number;
  readonly immutableMemtableBytes: number;
  readonly commitlogBytes: number;
  readonly segments: number;
  readonly writesApplied: number;
  readonly writesNoop: number;
  readonly writesRejected: number;
  readonly commitlogBatches: number;
  readonly commitlogWrites: number;
  readonly commitlogSyncs: number;
  /** Live SSTables (all levels) and their bytes. */
  readonly tables: number;
  readonly tableBytes: number;
  readonly l0Tables: number;
  /** level → live tables and their bytes (levels with tables only). */
  readonly levels: ReadonlyMap<number, { readonly tables: number; readonly bytes: number }>;
  readonly blockCacheHitRate: number;
  /** Row cache hits / lookups (0 before the first lookup or when disabled), entries and bytes (§7). */
  readonly rowCacheHitRate: number;
  readonly rowCacheEntries: number;
  readonly rowCacheBytes: number;
  readonly flushes: number;
  readonly writeStalls: number;
  readonly checksumFailures: number;
  readonly compactions: number;
  readonly compactionFailures: number;
  readonly compactionBytesRead: number;
  readonly compactionBytesWritten: number;
  readonly tombstonesPurged: number;
  /** Levels whose score is ≥ 1 (work the picker would start now). */
  readonly pendingCompactions: number;
  readonly suspectTables: number;
  /** Writes delayed 1 ms by the L0 slowdown trigger. */
  readonly l0Slowdowns: number;
  readonly logStart: number;
  // §9 metrics (mirrored into pairdb_engine_* counters at scrape time).
  /** Bytes appended to the commit log since open. */
  readonly commitlogBytesWritten: number;
  /** 1 when recovery cut a torn (or out-of-order unsynced) tail off the newest segment at open, else 0. */
  readonly commitlogTornTruncations: number;
  /** Partial writes cut back after ENOSPC. */
  readonly commitlogEnospcTruncations: number;
  readonly rowCacheHits: number;
  readonly rowCacheMisses: number;
  readonly rowCacheEvictions: number;
  readonly rowCacheRejections: number;
  readonly blockCacheHits: number;
  readonly blockCacheMisses: number;
  readonly blockCacheBytes: number;
  /** Bloom checks of tables whose key range holds the key: "absent", "maybe" and found, "maybe" but not found. */
  readonly bloomNegative: number;
  readonly bloomPositive: number;
  readonly bloomFalsePositive: number;
  /** Bytes pinned by open tables: index + properties blocks, and bloom blocks. */
  readonly pinnedIndexBytes: number;
  readonly pinnedBloomBytes: number;
  /** Disk guard (§9): state, usage ratio of the fullest file system, its bytes, writes refused. */
  readonly diskState: DiskState;
  readonly diskUsageRatio: number;
  /** False until the first statfs succeeded (usage then unknown). */
  readonly diskUsageKnown: boolean;
  readonly diskUsedBytes: number;
  readonly diskCapacityBytes: number;
  readonly diskRejections: number;
}

export interface StorageEngineOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly fs?: FileSystem;
  readonly commitlogSync?: CommitLogSync;
  readonly syncIntervalMs?: number;
  readonly segmentBytes?: number;
  /** Flush threshold of the active memtable (§3 memtable_bytes), default 64 MiB. */
  readonly memtableBytes?: number;
  /** Longest a write waits for a flush before failing SERVICE_UNAVAILABLE (§3), default 10 s. */
  readonly writeStallTimeoutMs?: number;
  /** Flush the active memtable on close (cli-and-ops.md flush-on-shutdown), default true. */
  readonly flushOnShutdown?: boolean;
  /** Shared block cache bytes (§7 block_cache_bytes), default 64 MiB. */
  readonly blockCacheBytes?: number;
  /** Row cache bytes (§7 row_cache_bytes), default 128 MiB; 0 disables it. */
  readonly rowCacheBytes?: number;
  /** Called once on an fsync/fdatasync failure (storage-engine.md §0: the process must exit 74). */
  /** §6 shape and picking (l0_trigger, level targets, target_file_bytes, gc_grace); defaults per spec. */
  readonly compaction?: Partial<CompactionPolicy>;
  /** §4 `block_bytes` (default 4096) and `bloom_bits_per_key` (default 10) of the tables this engine writes. */
  readonly blockBytes?: number;
  readonly bloomBitsPerKey?: number;
  /** §6 `compaction_bytes_per_sec`, default 64 MiB/s; 0 = unlimited. */
  readonly compactionBytesPerSec?: number;
  /** Background compaction (default true). Off: tables only change through flush() and compact(). */
  readonly autoCompact?: boolean;
  /** §3 `l0_slowdown` (default 8) and `l0_stop` (default 12); they apply only while autoCompact is on. */
  readonly l0Slowdown?: number;
  readonly l0Stop?: number;
  /** §3 `write_queue_bytes` (default 64 MiB): appends beyond it fail WRITE_QUEUE_FULL (ResourceExhausted). */
  readonly writeQueueBytes?: number;
  readonly onFatal?: (err: Error) => void;
  readonly now?: () => number;
  /** Owner pid written to LOCK (default: this process). */
  readonly pid?: number;
  readonly isPidAlive?: (pid: number) => boolean;
  /** §9 disk guard thresholds as usage ratios, default warn 0.80 / throttle 0.90 / reject 0.95. */
  readonly diskThresholds?: Partial<DiskThresholds>;
  /** statfs the disk guard polls (tests inject usage); default node's fs.promises.statfs. */
  readonly statfs?: StatfsFn;
  /** Disk guard poll interval, default 5 s (it also checks after every flush). */
  readonly diskPollIntervalMs?: number;
  /** CLIENT write rate while the disk guard throttles, default 8 MiB/s (§9). */
  readonly diskThrottleBytesPerSec?: number;
  /** Receives write/read/flush/stall/checksum/commit-log events for the §9 metrics (engine-metrics.ts); default none. */
  readonly observer?: EngineObserver;
  /**
   * §5 step 3 `--quarantine-corrupt`: a table that cannot be opened (corrupt or missing) is moved to quarantine/ and
   * removed by an EDIT (`quarantine`) instead of refusing to start; the node then reports degraded. Default false.
   */
  readonly quarantineCorrupt?: boolean;
}

/** Sibling cap of cluster.md §5 for CLIENT writes. */
export const MAX_CLIENT_VERSIONS = 64;
export const DEFAULT_MEMTABLE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 10_000;
export const DEFAULT_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ROW_CACHE_BYTES = 128 * 1024 * 1024;
export const DEFAULT_COMPACTION_BYTES_PER_SEC = 64 * 1024 * 1024;
export const DEFAULT_L0_SLOWDOWN = 8;
export const DEFAULT_L0_STOP = 12;
export const DEFAULT_WRITE_QUEUE_BYTES = 64 * 1024 * 1024;
/** §6: a failed compaction is retried after 1 s, doubling to 60 s. */
const COMPACTION_RETRY_MIN_MS = 1000;
/** §9: warn when the pinned index + bloom blocks of the open tables pass this. */
const PINNED_WARN_BYTES = 256 * 1024 * 1024;
const COMPACTION_RETRY_MAX_MS = 60_000;
/** Pause between attempts of a failed flush (ENOSPC, I/O error) while the engine is open. */
const FLUSH_RETRY_MS = 1000;

export type EngineStatus = 'open' | 'closing' | 'closed' | 'failed';

/** A log write that carries the Reduce result computed before logging (not encoded). */
interface PendingWrite extends LogWrite {
  readonly hint?: MergeHint;
}

/**
 * A row-cache value: the key's complete Reduce-d set plus its write-id memory (the Read RPC returns both, so a hit
 * must answer both). Weight = §7 weight + the encoded write-id list.
 */
interface CachedRow {
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

function weighRow(key: string, row: CachedRow): number {
  return rowWeight(key, row.versions) + (row.wids.length === 0 ? 0 : writeIdsSize(row.wids));
}

/** Row-cache key: tenant, NUL, key (neither may contain NUL, so it is unambiguous; UTF-8 length = ckey length). */
function rowKey(tenantId: string, key: string): string {
  return `${tenantId}\u0000${key}`;
}

/** What a point read answers: the key's Reduce-d set and its live write-id memory. */
export interface KeyRead {
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

/** A key's contribution from the tables (§7 step 2), already Reduce-d. */
interface TablePart {
  readonly versions: readonly Version[];
  readonly wids: readonly WriteIdEntry[];
}

/**
 * One open table. `refs` = 1 while it is in the installed set, + 1 per in-flight read or scan that pinned it (§6
 * "readers pin an immutable table set"); a table removed by a committed EDIT is `obsolete` and is closed and unlinked
 * when its count reaches 0. A trivial move changes `meta` (the level) in place and keeps the open reader.
 */
interface TableHandle {
  meta: TableMeta;
  readonly reader: SSTableReader;
  readonly minKey: Buffer;
  readonly maxKey: Buffer;
  refs: number;
  obsolete: boolean;
}

/** What a compaction did (the Compact RPC's answer; also summed for stats). */
export interface CompactionSummary {
  readonly tablesIn: number;
  readonly tablesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly entriesDropped: number;
  readonly tombstonesPurged: number;
}

/** A ring interval (§8): start < end → start ≤ h < end; start ≥ end wraps; start = end is the whole ring. */
export interface RingRange {
  readonly start: bigint;
  readonly end: bigint;
}

export interface ScanOptions {
  /** Keys whose ring position lies in any of these (empty or absent = the whole ring). */
  readonly ranges?: readonly RingRange[];
  /** Only these tenants (empty or absent = all). */
  readonly tenants?: readonly string[];
  /** Resume strictly after this ckey. */
  readonly after?: Buffer;
  /** Tombstones past gc_grace are omitted unless this is set (§8). */
  readonly includeExpiredTombstones?: boolean;
}

export interface CompactOptions {
  /** Compact only this level into the next (default: every level, top-down, until all data sits in one level). */
  readonly level?: number;
  /** Keys to omit from the outputs (Compact RPC drop specs; only with a full compaction). */
  readonly drop?: (ckey: Buffer) => boolean;
}

/** The installed table set: L0 newest first, L1+ each sorted by min key (disjoint ranges). Replaced, never mutated. */
interface TableSet {
  readonly l0: readonly TableHandle[];
  readonly levels: readonly (readonly TableHandle[])[];
  readonly all: readonly TableHandle[];
}

interface StallWaiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

const EMPTY: readonly Version[] = Object.freeze([]);
const EMPTY_TABLES: TableSet = Object.freeze({ l0: [], levels: [], all: [] });
/** #candidates' answer when no table may hold the key (shared, never mutated: a match allocates a new array). */
const NO_TABLES: TableHandle[] = Object.freeze([]) as unknown as TableHandle[];


/**
 * A lone surrogate would encode to U+FFFD, so two different strings would share one ckey. String#isWellFormed
 * (ES2024, Node ≥ 20; not in this project's ES2023 lib typings) is ~2.5× faster than the lone-surrogate regex it
 * replaced, and it runs on every read and write.
 */
function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function assertKey(tenantId: string, key: string): void {
  if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.includes('\u0000') || !wellFormed(tenantId)) {
    throw new PairdbError('INVALID_REQUEST', 'tenant id must be non-empty well-formed text without NUL');
  }
  if (typeof key !== 'string' || key.length === 0 || key.includes('\u0000') || !wellFormed(key)) {
    throw new PairdbError('INVALID_REQUEST', 'key must be non-empty well-formed text without NUL');
  }
}

/** A manifest commit failed without writing its record (a write error, ENOSPC) — not an fdatasync error. */
function committedNot(err: unknown): boolean {
  return err instanceof PairdbError && err.outcome === 'not_applied';
}

function handleOf(meta: TableMeta, reader: SSTableReader): TableHandle {
  return { meta, reader, minKey: Buffer.from(meta.minKey, 'hex'), maxKey: Buffer.from(meta.maxKey, 'hex'), refs: 1, obsolete: false };
}

/** L0 newest first; L1+ by min key (disjoint). */
function sortLevel(level: number, hs: TableHandle[]): TableHandle[] {
  return level === 0 ? hs.sort((a, b) => b.meta.file - a.meta.file) : hs.sort((a, b) => Buffer.compare(a.minKey, b.minKey));
}

function buildTableSet(l0: readonly TableHandle[], levels: readonly (readonly TableHandle[])[]): TableSet {
  return Object.freeze({ l0, levels, all: [...l0, ...levels.flat()] });
}

function inRange(h: TableHandle, ckey: Buffer): boolean {
  // compareBytes, not Buffer.compare: this runs per table per read (see compareBytes).
  return compareBytes(ckey, 0, ckey.length, h.minKey, 0, h.minKey.length) >= 0 && compareBytes(ckey, 0, ckey.length, h.maxKey, 0, h.maxKey.length) <= 0;
}

/** Reduce over several sources; returns a source unchanged when it is the only non-empty one. */
function reduceSources(sources: readonly (readonly Version[] | undefined)[]): readonly Version[] {
  let only: readonly Version[] | undefined;
  let many = false;
  for (const s of sources) {
    if (!s || s.length === 0) continue;
    if (only) many = true;
    else only = s;
  }
  if (!only) return EMPTY;
  if (!many) return only;
  const all: Version[] = [];
  for (const s of sources) if (s) all.push(...s);
  return reduce(all);
}

function mergeWidSources(sources: readonly (readonly WriteIdEntry[] | undefined)[], nowMs: number): readonly WriteIdEntry[] {
  let out: readonly WriteIdEntry[] = NO_WRITE_IDS;
  for (const s of sources) {
    if (!s || s.length === 0) continue;
    out = out.length === 0 ? s : mergeWriteIds(out, s, nowMs);
  }
  return out;
}

/**
 * The storage engine of one node (storage-engine.md): commit log, active + immutable memtable, L0 tables written by
 * flushes, and the manifest that names them. Lifecycle: `open()` follows §5 startup (LOCK, manifest, tables,
 * orphans, replay of segments ≥ log_start, rollover); `close()` drains, flushes (flush-on-shutdown), syncs and
 * releases LOCK. Public methods check state and arguments, then do the work.
 */
export class StorageEngine {
  readonly #opts: StorageEngineOptions;
  readonly #fs: FileSystem;
  readonly #now: () => number;
  readonly #memtableBytes: number;
  readonly #stallTimeoutMs: number;
  readonly #blockCache: LruBlockCache;
  readonly #rowCache: RowCache<CachedRow>;
  /** Bumped at every memtable switch: a read that saw a switch does not fill the row cache (§7 step 4). */
  #switches = 0;
  #active = new Memtable();
  #immutable: Memtable | undefined;
  #tables: TableSet = EMPTY_TABLES;
  /** Bumped whenever the table set changes, so a read that awaited tables can tell its snapshot went stale. */
  #tableGen = 0;
  #log!: CommitLog;
  #manifest!: Manifest;
  /** Serialises raiseFence calls (see there). */
  #fenceChain: Promise<unknown> = Promise.resolve();
  #lock!: DataDirLock;
  #status: EngineStatus = 'open';
  #replay!: ReplayReport;
  /** The running switch + flush, if any (at most one immutable memtable, §3). */
  #flushJob: Promise<void> | undefined;
  #stallWaiters: StallWaiter[] = [];
  #applied = 0;
  #noop = 0;
  #rejected = 0;
  #flushes = 0;
  #stalls = 0;
  #checksumFailures = 0;
  readonly #policy: CompactionPolicy;
  readonly #limiter: CompactionRateLimiter;
  readonly #autoCompact: boolean;
  readonly #l0Slowdown: number;
  readonly #l0Stop: number;
  readonly #writeQueueBytes: number;
  /** The running compaction (one at a time, §6). */
  #compactJob: Promise<unknown> | undefined;
  /** Pending retry after a failed compaction (§6 backoff). */
  #compactTimer: NodeJS.Timeout | undefined;
  #compactBackoffMs = 0;
  /** > 0 while compact() runs: the background picker waits. */
  #manualCompactions = 0;
  /** Settles when the last compact() call ends (calls run one after another). */
  #manualChain: Promise<void> = Promise.resolve();
  /** §6 round-robin cursor per level: max key (hex) of the table last compacted out of it. */
  readonly #cursors = new Map<number, string>();
  /** Tables that failed a checksum (never compacted again; health degraded). */
  readonly #suspect = new Set<number>();
  /** Tables set aside at open by quarantineCorrupt (health degraded until the next start). */
  #quarantined: number[] = [];
  /** Outputs of a tombstone-GC rewrite that purged nothing: not picked for GC again until a level compaction. */
  readonly #gcNoop = new Set<number>();
  #compactions = 0;
  #compactionFailures = 0;
  #compactionBytesRead = 0;
  #compactionBytesWritten = 0;
  #tombstonesPurged = 0;
  #slowdowns = 0;
  #pinnedWarned = false;
  #bloomNegative = 0;
  #bloomPositive = 0;
  #bloomFalsePositive = 0;
  readonly #disk: DiskGuard;
  readonly #obs: EngineObserver | undefined;
  /** Re-entries of CLIENT writes that already waited out their disk-throttle booking (not booked twice). */
  readonly #throttlePaid = new WeakSet<WriteOptions>();
  /** Table block reads from disk in flight (read fairness, see read()). */
  #blockReads = 0;
  /** #nextTurn()'s pending promise, shared by every read of this event-loop turn. */
  #turn: Promise<void> | undefined;

  private constructor(opts: StorageEngineOptions, fs: FileSystem) {
    this.#opts = opts;
    this.#fs = fs;
    this.#now = opts.now ?? Date.now;
    this.#memtableBytes = opts.memtableBytes ?? DEFAULT_MEMTABLE_BYTES;
    this.#stallTimeoutMs = opts.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS;
    this.#blockCache = new LruBlockCache(opts.blockCacheBytes ?? DEFAULT_BLOCK_CACHE_BYTES);
    this.#rowCache = new RowCache<CachedRow>(opts.rowCacheBytes ?? DEFAULT_ROW_CACHE_BYTES, { weigh: weighRow });
    this.#policy = { ...DEFAULT_COMPACTION_POLICY, ...opts.compaction };
    this.#autoCompact = opts.autoCompact ?? true;
    this.#l0Slowdown = opts.l0Slowdown ?? DEFAULT_L0_SLOWDOWN;
    this.#l0Stop = opts.l0Stop ?? DEFAULT_L0_STOP;
    this.#writeQueueBytes = opts.writeQueueBytes ?? DEFAULT_WRITE_QUEUE_BYTES;
    // §6: the limit is lifted while L0 is at the slowdown trigger (writes are being delayed: catch up first).
    this.#limiter = new CompactionRateLimiter(
      opts.compactionBytesPerSec ?? DEFAULT_COMPACTION_BYTES_PER_SEC,
      () => this.#tables.l0.length >= this.#l0Slowdown,
    );
    this.#obs = opts.observer;
    this.#disk = new DiskGuard({
      dataDir: opts.dataDir,
      logger: opts.logger,
      thresholds: opts.diskThresholds,
      statfs: opts.statfs,
      pollIntervalMs: opts.diskPollIntervalMs,
      throttleBytesPerSec: opts.diskThrottleBytesPerSec,
      now: this.#now,
    });
  }

  /**
   * Opens (or creates) the data directory per §5: LOCK (DATA_DIR_LOCKED if a live process holds it), manifest
   * replay (a pre-manifest dir with only commit-log segments is adopted), every table opened (CORRUPT_FILE names a
   * bad one), orphans deleted, segments ≥ log_start replayed into the memtable (CORRUPT_FILE naming segment and
   * offset if the log cannot be trusted), manifest rolled over.
   */
  static async open(opts: StorageEngineOptions): Promise<StorageEngine> {
    const fs = opts.fs ?? new NodeFileSystem();
    const engine = new StorageEngine(opts, fs);
    await fs.mkdir(opts.dataDir);
    engine.#lock = await DataDirLock.acquire({
      fs,
      dataDir: opts.dataDir,
      logger: opts.logger,
      pid: opts.pid ?? process.pid,
      isPidAlive: opts.isPidAlive ?? isPidAlive,
    });
    try {
      await engine.#startup();
      // The first statfs before any write is admitted; then every diskPollIntervalMs (§9).
      await engine.#disk.start();
    } catch (err) {
      engine.#disk.stop();
      await engine.#closeFiles();
      await engine.#lock.release();
      throw err;
    }
    opts.logger.info(
      {
        segments: engine.#replay.segments,
        writes: engine.#replay.writes,
        keys: engine.#active.size,
        tables: engine.#tables.all.length,
        log_start: engine.#manifest.state.logStart,
      },
      'storage engine opened',
    );
    // A replayed memtable past the threshold flushes now, not at the first write; a table set left over the
    // compaction triggers compacts now.
    engine.#maybeFlush();
    engine.#maybeCompact();
    return engine;
  }

  async #startup(): Promise<void> {
    const opts = this.#opts;
    const fs = this.#fs;
    const dir = opts.dataDir;
    // Step 1–2: CURRENT + manifest replay.
    const { manifest } = await Manifest.open(dir, fs, { logger: opts.logger, onFatal: this.#onFatal, adoptCommitLog: true });
    this.#manifest = manifest;
    const lost = lostLogStartProblem(manifest.state.logStart, await segmentNumbers(fs, dir));
    if (lost) throw new PairdbError('CORRUPT_FILE', `manifest corruption: ${join(dir, manifest.fileName)}: ${lost}`);
    const sstDir = join(dir, 'sst');
    await fs.mkdir(sstDir);
    await fs.fsyncDir(dir);
    // Step 3: open every table; a failure refuses to start, naming the file (SSTableCorruptionError: CORRUPT_FILE).
    this.#setTables(await this.#openTables(manifest.state));
    // Step 4: orphans and next_file.
    const { orphans, maxFileNumber } = await manifest.listOrphans();
    manifest.raiseNextFile(maxFileNumber + 1);
    for (const rel of orphans) {
      opts.logger.warn({ file: rel }, 'deleting a crash leftover');
      await fs.unlink(join(dir, rel)).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
      });
    }
    if (orphans.length > 0) {
      await fs.fsyncDir(dir);
      if (orphans.some((o) => o.startsWith('sst/'))) await fs.fsyncDir(sstDir);
      if (orphans.some((o) => o.startsWith('commitlog/'))) await fs.fsyncDir(join(dir, 'commitlog'));
    }
    // Step 5: replay segments ≥ log_start (the lower ones were just deleted) and open a new segment, numbered by the
    // manifest's shared counter.
    const { log, replay } = await CommitLog.open({
      dir: join(dir, 'commitlog'),
      fs,
      logger: opts.logger,
      sync: opts.commitlogSync ?? 'batch',
      syncIntervalMs: opts.syncIntervalMs,
      segmentBytes: opts.segmentBytes,
      apply: this.#applyWrite,
      onFatal: this.#onFatal,
      now: this.#now,
      allocateSegment: () => manifest.nextFileNumber(),
      logStart: manifest.state.logStart,
      ...(opts.observer ? { observer: opts.observer } : {}),
    });
    this.#log = log;
    this.#replay = replay;
    // A ROTATE may have named a segment that only now exists: keep the counter above it.
    manifest.raiseNextFile(log.currentSegment + 1);
    // Step 6.
    await manifest.rollover();
  }

  async #openTables(state: ManifestState): Promise<TableSet> {
    const l0: TableHandle[] = [];
    const levels: TableHandle[][] = [];
    const unopenable: TableMeta[] = [];
    try {
      for (const [level, metas] of [...state.tables.entries()].sort((a, b) => a[0] - b[0])) {
        for (const meta of metas) {
          let reader: SSTableReader;
          try {
            reader = await SSTableReader.open(this.#fs, this.#tablePath(meta.file), { fileNumber: meta.file, blockCache: this.#blockCache });
          } catch (err) {
            // §5 step 3: a corrupt or missing table refuses the start, naming the file, unless quarantineCorrupt.
            const missing = errnoCode(err) === 'ENOENT';
            if (!missing && !(err instanceof SSTableCorruptionError)) throw err;
            if (!this.#opts.quarantineCorrupt) {
              const what = missing ? `table ${this.#tablePath(meta.file)} (L${level}) is listed in the manifest but missing` : (err as Error).message;
              throw new PairdbError('CORRUPT_FILE', what, {
                hint: 'start with --quarantine-corrupt to set the table aside (the node starts degraded; repair refills it)',
                cause: err,
              });
            }
            unopenable.push(meta);
            this.#opts.logger.error({ err, file: this.#tablePath(meta.file), level }, 'cannot open a table; quarantining it');
            continue;
          }
          const h = handleOf(meta, reader);
          if (level === 0) l0.push(h);
          else (levels[level - 1] ??= []).push(h);
        }
      }
      if (unopenable.length > 0) await this.#quarantine(unopenable);
    } catch (err) {
      for (const h of [...l0, ...levels.flat()]) await h.reader.close().catch(() => undefined);
      throw err;
    }
    sortLevel(0, l0);
    for (let i = 0; i < levels.length; i++) if (levels[i]) sortLevel(i + 1, levels[i]!);
    return buildTableSet(l0, Array.from(levels, (lv) => lv ?? []));
  }

  /**
   * Moves unopenable tables to quarantine/ (kept for inspection, never deleted by us), then commits an EDIT
   * (`quarantine`) removing them. Moved first: an EDIT first would make the file an orphan that step 4 deletes. A
   * crash in between leaves the manifest naming a missing file, which the next start quarantines the same way.
   */
  async #quarantine(metas: readonly TableMeta[]): Promise<void> {
    const dir = join(this.#opts.dataDir, 'quarantine');
    await this.#fs.mkdir(dir);
    for (const meta of metas) {
      const from = this.#tablePath(meta.file);
      let to = join(dir, sstFileName(meta.file));
      for (let i = 1; await this.#fs.stat(to).then(() => true, () => false); i++) to = join(dir, `${sstFileName(meta.file)}.${i}`);
      try {
        await this.#fs.rename(from, to);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    await this.#fs.fsyncDir(dir);
    await this.#fs.fsyncDir(join(this.#opts.dataDir, 'sst'));
    await this.#manifest.commit({ reason: 'quarantine', remove: metas.map((m) => ({ file: m.file, level: m.level })) });
    this.#quarantined = metas.map((m) => m.file).sort((a, b) => a - b);
    this.#opts.logger.warn({ tables: this.#quarantined, dir }, 'started without quarantined tables: node degraded until repair refills their data');
  }

  #tablePath(file: number): string {
    return join(this.#opts.dataDir, 'sst', sstFileName(file));
  }

  get status(): EngineStatus {
    return this.#status;
  }

  /** What recovery found at open. */
  get replayReport(): ReplayReport {
    return this.#replay;
  }

  /** The committed manifest state (tests, tools). */
  get manifestState(): ManifestState {
    return this.#manifest.state;
  }

  /** The persisted topology fence (cluster.md §4, §13); 0 = none. Only a durable fence is ever enforced. */
  get fenceEpoch(): number {
    return this.#manifest.state.fenceEpoch;
  }

  /**
   * Raises the topology fence to `epoch` with a manifest EDIT of reason `fence`, resolving once it is durable (the
   * fence it then holds). A value not above the current fence changes nothing. Raises run one after another, so a
   * smaller one arriving late never reaches the manifest (which refuses a shrinking fence).
   */
  raiseFence(epoch: number): Promise<number> {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      return Promise.reject(new PairdbError('INVALID_REQUEST', `fence epoch ${epoch} is not a safe non-negative integer`));
    }
    const run = async (): Promise<number> => {
      if (epoch <= this.#manifest.state.fenceEpoch) return this.#manifest.state.fenceEpoch;
      if (this.#status !== 'open') throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
      return (await this.#manifest.commit({ reason: 'fence', fenceEpoch: epoch })).fenceEpoch;
    };
    const p = this.#fenceChain.then(run, run);
    this.#fenceChain = p.catch(() => undefined);
    return p;
  }

  /**
   * The Reduce-d version set of a key over both memtables and every table that may hold it (§7), tombstones
   * included; empty when the key is unknown. Do not mutate. A table checksum failure rejects CHECKSUM_MISMATCH.
   */
  get(tenantId: string, key: string): Promise<readonly Version[]> {
    const r = this.#readAny(tenantId, key);
    return r instanceof Promise ? r.then((x) => x.versions) : Promise.resolve(r.versions);
  }

  /** The key's write-id memory (pairs younger than 24 h), sorted by write id. */
  recentWrites(tenantId: string, key: string): Promise<readonly WriteIdEntry[]> {
    const r = this.#readAny(tenantId, key);
    return r instanceof Promise ? r.then((x) => x.wids) : Promise.resolve(r.wids);
  }

  /**
   * Versions and write-id memory of a key in one lookup (the Read RPC). Answered without awaiting anything when the
   * row cache holds the key or every table block it needs is in the block cache (the common case once warm):
   * no promise per table, no microtask hop per block; only a block-cache miss reads the disk.
   */
  read(tenantId: string, key: string): Promise<KeyRead> {
    const r = this.#readAny(tenantId, key);
    return r instanceof Promise ? r : Promise.resolve(r);
  }

  /** read() without a Promise when it can answer synchronously; never throws (a failure is a rejected Promise). */
  #readAny(tenantId: string, key: string): KeyRead | Promise<KeyRead> {
    // Fairness: a read answered from memory resolves in a microtask, and callers chain the next read onto it, so
    // concurrent readers form an unbroken microtask chain that keeps the event loop from ever polling, and a block
    // read from disk completes only once every reader waits on the disk too (measured: block-miss p50 0.7–0.9 ms,
    // p99 ~115 ms at 16 readers). While a block read is in flight, every read first waits one event-loop turn
    // (one setImmediate, shared by all reads of a turn), so finished I/O is picked up between reads (miss p50
    // ~0.35 ms).
    if (this.#blockReads > 0) return this.#nextTurn().then(() => this.#readNow(tenantId, key));
    try {
      return this.#readNow(tenantId, key);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Resolves in the event loop's next check phase (after it polled for I/O); one promise for all reads of a turn. */
  #nextTurn(): Promise<void> {
    return (this.#turn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#turn = undefined;
        resolve();
      }),
    ));
  }

  /** The read; synchronous unless a table block must come from disk. Throws on bad arguments or a table failure. */
  #readNow(tenantId: string, key: string): KeyRead | Promise<KeyRead> {
    this.#assertReadable();
    assertKey(tenantId, key);
    // §7 step 1: a cached set is complete (every applied write updates it in place). The row key is also the
    // memtables' map key (tenant NUL key).
    const t0 = this.#obs ? performance.now() : 0;
    const rk = rowKey(tenantId, key);
    const hit = this.#rowCache.get(rk);
    if (hit) {
      this.#obs?.read('row_cache', (performance.now() - t0) / 1000);
      return { versions: hit.versions, wids: this.#liveWids(hit.wids) };
    }
    const ckey = Buffer.from(rk, 'utf8');
    const switches = this.#switches;
    const gen = this.#tableGen;
    const part = this.#lookupTables(this.#candidates(ckey), ckey);
    if (part instanceof Promise) return this.#readAwaiting(rk, ckey, switches, gen, part, t0);
    return this.#finishRead(rk, switches, part, t0);
  }

  /** The rest of a read whose table lookups went to disk. */
  async #readAwaiting(rk: string, ckey: Buffer, switches: number, gen: number, pending: Promise<TablePart | undefined>, t0: number): Promise<KeyRead> {
    let part = await pending;
    while (gen !== this.#tableGen) {
      // A flush installed a table (and dropped its memtable) meanwhile: read again against the new set.
      gen = this.#tableGen;
      const again = this.#lookupTables(this.#candidates(ckey), ckey);
      part = again instanceof Promise ? await again : again;
    }
    return this.#finishRead(rk, switches, part, t0);
  }

  /** §7 steps 3–4 for the tables' part of a read: merge the memtables in (this same turn), fill the row cache. */
  #finishRead(rk: string, switches: number, part: TablePart | undefined, t0: number): KeyRead {
    const a = this.#active.getByMapKey(rk);
    const im = this.#immutable?.getByMapKey(rk);
    let versions: readonly Version[];
    let merged: readonly WriteIdEntry[];
    if (a === undefined && im === undefined) {
      // The tables alone (one source: Reduce and the wid union would return it unchanged).
      versions = part?.versions ?? EMPTY;
      merged = part?.wids ?? NO_WRITE_IDS;
    } else {
      versions = reduceSources([part?.versions, im?.versions, a?.versions]);
      merged = mergeWidSources([part?.wids, im?.wids, a?.wids], this.#now());
    }
    // §7 step 4: the result already holds the current memtables' entries (read in this same turn, after any
    // await); writes applied from now on update the entry in place. A switch meanwhile means the memtables seen
    // may not be the ones the tables were read against, so nothing is filled (the next miss fills).
    if (switches === this.#switches) this.#rowCache.set(rk, { versions, wids: merged });
    const obs = this.#obs;
    if (obs) {
      const source: ReadSource = versions.length === 0 ? 'absent' : part && part.versions.length > 0 ? 'sstable' : 'memtable';
      obs.read(source, (performance.now() - t0) / 1000);
    }
    return { versions, wids: this.#liveWids(merged) };
  }

  #liveWids(wids: readonly WriteIdEntry[]): readonly WriteIdEntry[] {
    if (wids.length === 0) return wids;
    const floor = this.#now() - WRITE_ID_TTL_MS;
    return wids.every((e) => e.timestampMs >= floor) ? wids : wids.filter((e) => e.timestampMs >= floor);
  }

  /**
   * Tables that may hold `ckey`: every L0 table whose range and bloom say maybe, plus at most one per L1+ level.
   * The key is hashed for the blooms once, and only if some table's range holds it (every table uses the same
   * scheme-1 hashes).
   */
  #candidates(ckey: Buffer): TableHandle[] {
    const t = this.#tables;
    if (t.all.length === 0) return NO_TABLES;
    let out: TableHandle[] = NO_TABLES;
    let h1 = 0;
    let h2 = 0;
    let hashed = false;
    const klen = ckey.length;
    // The bloom check of one in-range table; the key is hashed on the first one only.
    const probe = (h: TableHandle): void => {
      if (!hashed) {
        h1 = murmur3(ckey, BLOOM_SEED_1);
        h2 = murmur3(ckey, BLOOM_SEED_2);
        hashed = true;
      }
      if (h.reader.bloom.mayContainHashes(h1, h2)) out = out === NO_TABLES ? [h] : (out.push(h), out);
      else this.#bloomNegative++;
    };
    for (const h of t.l0) if (inRange(h, ckey)) probe(h);
    for (const lv of t.levels) {
      let lo = 0;
      let hi = lv.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const h = lv[mid]!;
        if (compareBytes(ckey, 0, klen, h.minKey, 0, h.minKey.length) < 0) hi = mid - 1;
        else if (compareBytes(ckey, 0, klen, h.maxKey, 0, h.maxKey.length) > 0) lo = mid + 1;
        else {
          probe(h);
          break;
        }
      }
    }
    return out;
  }

  /** Reads the candidates (all of them: a sibling may live in an older table, §7 step 3) and Reduces the union. */
  async #readTables(cands: readonly TableHandle[], ckey: Buffer): Promise<TablePart | undefined> {
    return this.#lookupTables(cands, ckey);
  }

  /**
   * #readTables, synchronously when every block needed is in the block cache; a Promise only when some block must
   * come from disk (those lookups run in parallel; the cached ones are not probed again). A table failure is
   * CHECKSUM_MISMATCH (thrown, or the Promise rejects), counted and logged once.
   */
  #lookupTables(cands: readonly TableHandle[], ckey: Buffer): TablePart | undefined | Promise<TablePart | undefined> {
    const n = cands.length;
    if (n === 0) return undefined;
    if (n === 1) {
      // The common case (one table may hold the key): no arrays.
      const reader = cands[0]!.reader;
      let e: SSTableEntry | undefined | BlockMiss;
      try {
        e = reader.lookupCached(ckey);
      } catch (err) {
        throw this.#tableReadError(err);
      }
      if (e !== BLOCK_MISS) return this.#unionOf([e]);
      return this.#readBlock(cands[0]!, ckey).then((x) => this.#unionOf([x]), (err: unknown) => {
        throw this.#tableReadError(err);
      });
    }
    const found: Array<SSTableEntry | undefined> = new Array(n);
    let pending: Array<Promise<void>> | undefined;
    try {
      for (let i = 0; i < n; i++) {
        const reader = cands[i]!.reader;
        const e = reader.lookupCached(ckey);
        if (e !== BLOCK_MISS) {
          found[i] = e;
          continue;
        }
        (pending ??= []).push(
          this.#readBlock(cands[i]!, ckey).then((x) => {
            found[i] = x;
          }),
        );
      }
    } catch (err) {
      // Disk reads already started for other tables end unobserved: their outcome no longer matters.
      if (pending) for (const p of pending) p.catch(() => undefined);
      throw this.#tableReadError(err);
    }
    if (!pending) return this.#unionOf(found);
    return Promise.all(pending).then(
      () => this.#unionOf(found),
      (err: unknown) => {
        throw this.#tableReadError(err);
      },
    );
  }

  /**
   * lookupUncached, counted in #blockReads while it runs, with the table pinned (a compaction that replaces it
   * meanwhile leaves the file open and on disk until this read is done).
   */
  #readBlock(h: TableHandle, ckey: Buffer): Promise<SSTableEntry | undefined> {
    this.#blockReads++;
    h.refs++;
    return h.reader.lookupUncached(ckey).finally(() => {
      this.#blockReads--;
      this.#unpin(h);
    });
  }

  /** The Reduce-d union of the tables' entries for one key. */
  #unionOf(found: ReadonlyArray<SSTableEntry | undefined>): TablePart | undefined {
    let only: SSTableEntry | undefined;
    let many = false;
    let hitCount = 0;
    for (const e of found) {
      if (!e) continue;
      hitCount++;
      if (only) many = true;
      else only = e;
    }
    // Every candidate passed its bloom check: found = a true positive, else a false positive.
    this.#bloomPositive += hitCount;
    this.#bloomFalsePositive += found.length - hitCount;
    if (!only) return undefined;
    if (!many) return only;
    const hits = found.filter((e): e is SSTableEntry => e !== undefined);
    return {
      versions: reduceSources(hits.map((e) => e.versions)),
      wids: mergeWidSources(hits.map((e) => e.wids), this.#now()),
    };
  }

  /** A table read failure as the engine reports it: DataLoss → CHECKSUM_MISMATCH (counted, logged). */
  #tableReadError(err: unknown): PairdbError {
    if (err instanceof SSTableCorruptionError) {
      this.#checksumFailures++;
      this.#obs?.checksumFailure('sst');
      // §7: the table is suspect (health degraded, never compacted again); logged there.
      this.#markSuspect(err.file, err);
      return new PairdbError('CHECKSUM_MISMATCH', err.message, { cause: err });
    }
    return PairdbError.from(err);
  }

  /** Writes one version (§3 Write API). */
  write(tenantId: string, key: string, version: Version, opts: WriteOptions): Promise<WriteResult> {
    return this.writeVersions(tenantId, key, [version], opts);
  }

  /**
   * Writes versions of one key: `cur = get(key)` (memtables and tables); a no-op (Reduce unchanged, no new write
   * ids) is answered DOMINATED without logging; a CLIENT write whose write id is remembered (or held by a stored
   * version) is DUPLICATE, not logged; a CLIENT write that would leave more than 64 versions fails
   * SIBLING_LIMIT_EXCEEDED, unlogged (internal purposes are never capped). Otherwise the new versions are logged,
   * applied after the fdatasync, and the result is APPLIED with the key's set after it. While a second flush would
   * be needed, writes wait FIFO (at most writeStallTimeoutMs, then SERVICE_UNAVAILABLE).
   */
  writeVersions(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<WriteResult> {
    const obs = this.#obs;
    if (!obs) return this.#writeVersions(tenantId, key, versions, opts, false);
    const t0 = performance.now();
    return this.#writeVersions(tenantId, key, versions, opts, false).then(
      (r) => {
        obs.write(r.outcome === 'APPLIED' ? 'applied' : 'noop', (performance.now() - t0) / 1000);
        return r;
      },
      (err: unknown) => {
        obs.write('rejected', (performance.now() - t0) / 1000);
        throw err;
      },
    );
  }

  /**
   * writeVersions without the timing (re-entered after a stall, slowdown or throttle wait with `waited` set, so a
   * write is timed once and slowed down at most once).
   */
  #writeVersions(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions, waited: boolean): Promise<WriteResult> {
    try {
      return this.#write(tenantId, key, versions, opts, waited);
    } catch (err) {
      this.#rejected++;
      return Promise.reject(err);
    }
  }

  /**
   * The checks every write makes before it is logged (throws); returns a promise when the write must first wait
   * (§3 back-pressure: a flush or L0 stall, FIFO; the 1 ms L0 slowdown; §9 a disk-throttle booking), after which
   * the caller starts it again with the options the promise resolves to and `waited` set.
   */
  #admit(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions, waited: boolean): Promise<WriteOptions> | undefined {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    assertKey(tenantId, key);
    if (versions.length === 0) throw new PairdbError('INVALID_REQUEST', 'a write needs at least one version');
    if (opts.purpose === 'CLIENT' && versions.length !== 1) throw new PairdbError('INVALID_REQUEST', 'a CLIENT write carries exactly one version');
    const deadlineMs = opts.deadlineMs ?? 0;
    if (deadlineMs > 0 && this.#now() >= deadlineMs) {
      throw new PairdbError('TIMEOUT', 'deadline passed before the write started', { outcome: 'not_applied' });
    }
    const disk = this.#disk;
    if (disk.state !== 'ok') {
      // §9: reject refuses every purpose (DISK_FULL); throttle books CLIENT writes only, internal ones pass.
      disk.assertWritable();
      if (disk.state === 'throttle' && opts.purpose === 'CLIENT' && !this.#throttlePaid.has(opts)) {
        const waitMs = disk.throttle(writeBytes(tenantId, key, versions));
        if (waitMs > 0) {
          // A fresh object marks the re-entry as paid (the caller may share one options object between writes).
          const paid: WriteOptions = { ...opts };
          this.#throttlePaid.add(paid);
          return new Promise<WriteOptions>((resolve) => setTimeout(() => resolve(paid), waitMs));
        }
      }
    }
    if (this.#log.queuedBytes > this.#writeQueueBytes) {
      throw new PairdbError('WRITE_QUEUE_FULL', `write queue over ${this.#writeQueueBytes} bytes; retry later`, {
        outcome: 'not_applied',
        retryAfterSeconds: 1,
      });
    }
    if (this.#stallWaiters.length === 0 && !this.#stalled()) {
      if (waited || !this.#autoCompact || this.#tables.l0.length < this.#l0Slowdown) return undefined;
      // §3: L0 ≥ l0_slowdown delays each batch by 1 ms (the writes of one turn wait together and then join one batch).
      this.#slowdowns++;
      return new Promise<WriteOptions>((r) => setTimeout(() => r(opts), 1));
    }
    return this.#waitStall().then(
      () => opts,
      (err: unknown) => {
        this.#rejected++;
        throw err;
      },
    );
  }

  // Synchronous up to the log append when no table may hold the key, so every write of one event-loop turn joins
  // one group commit; a key some table may hold is read first (async).
  #write(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions, waited: boolean): Promise<WriteResult> {
    const stall = this.#admit(tenantId, key, versions, opts, waited);
    if (stall) return stall.then((o) => this.#writeVersions(tenantId, key, versions, o, true));
    const ckey = encodeCkey(tenantId, key);
    const gen = this.#tableGen;
    const cands = this.#candidates(ckey);
    if (cands.length === 0) return this.#writeWith(undefined, tenantId, key, versions, opts);
    return this.#readTables(cands, ckey).then(
      (part) => {
        if (gen !== this.#tableGen) return this.#writeVersions(tenantId, key, versions, opts, true);
        try {
          return this.#writeWith(part, tenantId, key, versions, opts);
        } catch (err) {
          this.#rejected++;
          throw err;
        }
      },
      (err: unknown) => {
        this.#rejected++;
        throw err;
      },
    );
  }

  /**
   * §3 `writeBlind`: appends the versions to the log WITHOUT reading the key (no no-op, DUPLICATE or sibling-cap
   * check; for streaming, repair, hints and the benchmark), then applies them to the memtable after the fdatasync
   * like any write (the memtable and the row cache Reduce them with what they hold; reads Reduce with the tables).
   * The write-id memory is still merged: a CLIENT version's write id, else `opts.recentWrites`. Back-pressure and
   * deadlines apply as for writeVersions. Resolves once durable and applied.
   */
  writeBlind(tenantId: string, key: string, version: Version | readonly Version[], opts: WriteOptions): Promise<void> {
    const versions = Array.isArray(version) ? (version as readonly Version[]) : [version as Version];
    const obs = this.#obs;
    if (!obs) return this.#blind(tenantId, key, versions, opts, false);
    const t0 = performance.now();
    return this.#blind(tenantId, key, versions, opts, false).then(
      () => obs.write('applied', (performance.now() - t0) / 1000),
      (err: unknown) => {
        obs.write('rejected', (performance.now() - t0) / 1000);
        throw err;
      },
    );
  }

  #blind(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions, waited: boolean): Promise<void> {
    try {
      return this.#writeBlind(tenantId, key, versions, opts, waited);
    } catch (err) {
      this.#rejected++;
      return Promise.reject(err);
    }
  }

  #writeBlind(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions, waited: boolean): Promise<void> {
    const stall = this.#admit(tenantId, key, versions, opts, waited);
    if (stall) return stall.then((o) => this.#blind(tenantId, key, versions, o, true));
    let wids: readonly WriteIdEntry[] = NO_WRITE_IDS;
    if (opts.purpose === 'CLIENT') {
      const v = versions[0]!;
      if (v.writeId.length > 0) wids = [{ writeId: v.writeId, timestampMs: v.timestampMs }];
    } else if (opts.recentWrites && opts.recentWrites.length > 0) {
      wids = opts.recentWrites;
    }
    const logged: PendingWrite[] = versions.map((version, i) => ({ tenantId, key, version, wids: i === 0 ? wids : NO_WRITE_IDS }));
    return this.#log.append(logged, opts.deadlineMs ?? 0).then(
      () => {
        this.#applied++;
      },
      (err: unknown) => {
        this.#rejected++;
        this.#noteDiskFull(err, 'commit log write');
        throw err;
      },
    );
  }

  #writeWith(part: TablePart | undefined, tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<WriteResult> {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    const client = opts.purpose === 'CLIENT';
    const deadlineMs = opts.deadlineMs ?? 0;
    const now = this.#now();
    const active = this.#active;
    const immutable = this.#immutable;
    const entry = active.get(tenantId, key);
    const imEntry = immutable?.get(tenantId, key);
    // Only the active memtable alone lets the apply reuse this Reduce (the hint's base is the entry's own set).
    const memOnly = part === undefined && imEntry === undefined;
    const cur = memOnly ? (entry?.versions ?? EMPTY) : reduceSources([part?.versions, imEntry?.versions, entry?.versions]);
    const curWids = memOnly ? (entry?.wids ?? NO_WRITE_IDS) : mergeWidSources([part?.wids, imEntry?.wids, entry?.wids], now);

    let wids: readonly WriteIdEntry[] = NO_WRITE_IDS;
    if (client) {
      const v = versions[0]!;
      if (v.writeId.length > 0) {
        const floor = now - WRITE_ID_TTL_MS;
        const remembered = curWids.some((e) => e.timestampMs >= floor && e.writeId.equals(v.writeId));
        if (remembered || cur.some((x) => x.writeId.equals(v.writeId))) {
          this.#noop++;
          return Promise.resolve({ outcome: 'DUPLICATE', current: cur });
        }
        wids = [{ writeId: v.writeId, timestampMs: v.timestampMs }];
      }
    } else if (opts.recentWrites && opts.recentWrites.length > 0) {
      // Only pairs that change the memory are logged; the union on replay rebuilds the same list.
      const merged = mergeWriteIds(curWids, opts.recentWrites, now);
      if (merged !== curWids) wids = opts.recentWrites.filter((e) => !hasWriteId(curWids, e.writeId));
    }

    const next = cur.length === 0 && versions.length === 1 ? versions : reduce(cur.length === 0 ? versions : [...cur, ...versions]);
    // Reduce keeps input objects, and keeps the first of byte-identical versions (cur comes first), so the set
    // changed iff it holds an object that was not in cur, or lost one.
    const added: Version[] = [];
    for (const v of next) if (!cur.includes(v)) added.push(v);
    const changed = added.length > 0 || next.length !== cur.length;
    if (!changed && (client || wids.length === 0)) {
      this.#noop++;
      return Promise.resolve({ outcome: 'DOMINATED', current: cur });
    }
    if (client && next.length > MAX_CLIENT_VERSIONS) {
      throw new PairdbError(
        'SIBLING_LIMIT_EXCEEDED',
        `the write would leave ${next.length} versions of the key (limit ${MAX_CLIENT_VERSIONS}); write with a context that supersedes them`,
        { outcome: 'not_applied' },
      );
    }
    const hint: MergeHint | undefined = memOnly ? { base: cur, next } : undefined;
    const logged: PendingWrite[] = [];
    const toLog = added.length > 0 ? added : [versions[0]!];
    for (let i = 0; i < toLog.length; i++) {
      logged.push({ tenantId, key, version: toLog[i]!, wids: i === 0 ? wids : NO_WRITE_IDS, hint: i === 0 ? hint : undefined });
    }
    return this.#log.append(logged, deadlineMs).then(
      () => {
        this.#applied++;
        const outcome: WriteOutcome = changed ? 'APPLIED' : 'DOMINATED';
        if (memOnly && this.#active === active && this.#immutable === undefined) {
          return { outcome, current: active.get(tenantId, key)?.versions ?? EMPTY };
        }
        // The memtables seen at the start are read too: a switch + flush meanwhile moved their entries to a table
        // this write did not read.
        const sources = [part?.versions, immutable?.get(tenantId, key)?.versions, active.get(tenantId, key)?.versions];
        if (this.#immutable && this.#immutable !== immutable && this.#immutable !== active) sources.push(this.#immutable.get(tenantId, key)?.versions);
        if (this.#active !== active) sources.push(this.#active.get(tenantId, key)?.versions);
        return { outcome, current: reduceSources(sources) };
      },
      (err: unknown) => {
        this.#rejected++;
        this.#noteDiskFull(err, 'commit log write');
        throw err;
      },
    );
  }

  /**
   * §3 back-pressure: the active memtable is full while the immutable one is still flushing, or L0 reached l0_stop
   * (only while background compaction runs: without it nothing would ever bring L0 down).
   */
  #stalled(): boolean {
    return (
      (this.#immutable !== undefined && this.#active.bytes >= this.#memtableBytes) ||
      (this.#autoCompact && this.#tables.l0.length >= this.#l0Stop && this.#status === 'open')
    );
  }

  #waitStall(): Promise<void> {
    this.#stalls++;
    const obs = this.#obs;
    if (obs) {
      const t0 = performance.now();
      return this.#stallPromise().finally(() => obs.stall('memtable', (performance.now() - t0) / 1000));
    }
    return this.#stallPromise();
  }

  #stallPromise(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: StallWaiter = { resolve, reject, timer: undefined };
      w.timer = setTimeout(() => {
        const i = this.#stallWaiters.indexOf(w);
        if (i >= 0) this.#stallWaiters.splice(i, 1);
        reject(
          new PairdbError('SERVICE_UNAVAILABLE', `write stalled over ${this.#stallTimeoutMs} ms waiting for a memtable flush or L0 compaction`, {
            outcome: 'not_applied',
            retryAfterSeconds: 1,
          }),
        );
      }, this.#stallTimeoutMs);
      this.#stallWaiters.push(w);
    });
  }

  /** Releases stalled writes in FIFO order once no second flush is needed. */
  #releaseStalls(err?: Error): void {
    if (!err && this.#stalled()) return;
    const waiters = this.#stallWaiters;
    this.#stallWaiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  /**
   * Flushes the active memtable to an L0 table and waits for it (the Flush RPC; also used by close). Resolves once
   * the table's EDIT is committed; a no-op when the memtable is empty.
   */
  async flush(): Promise<void> {
    if (this.#status !== 'open' && this.#status !== 'closing') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    while (this.#flushJob) await this.#flushJob;
    if (this.#active.size === 0) return;
    await this.#startFlush();
  }

  /** Switch (at the log's next batch boundary) + background flush. Caller: no flush job is running. */
  #startFlush(): Promise<void> {
    const job = this.#log
      .switchSegment(() => {
        this.#switches++;
        this.#immutable = this.#active;
        this.#active = new Memtable();
      })
      .then((logStart) => this.#runFlush(logStart))
      .finally(() => {
        this.#flushJob = undefined;
        if (this.#status === 'open') {
          this.#releaseStalls();
          this.#maybeFlush();
          this.#maybeCompact();
        }
      });
    this.#flushJob = job;
    return job;
  }

  /** The size trigger (§3): after a batch is applied, and after a flush completes. */
  #maybeFlush(): void {
    if (this.#flushJob || this.#status !== 'open' || this.#active.bytes < this.#memtableBytes) return;
    this.#startFlush().catch((err: unknown) => this.#opts.logger.error({ err }, 'memtable flush failed'));
  }

  /**
   * Writes the immutable memtable to one L0 table, commits EDIT {flush, add, log_start}, installs the table set,
   * drops the memtable, then unlinks segments < log_start (§5 deletion order). Retries while the engine is open.
   */
  async #runFlush(logStart: number | undefined): Promise<void> {
    const imm = this.#immutable;
    if (!imm) return;
    const log = this.#opts.logger;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        await this.#flushOnce(imm, logStart);
        this.#obs?.flush('ok', (performance.now() - t0) / 1000);
        break;
      } catch (err) {
        this.#obs?.flush('error', (performance.now() - t0) / 1000);
        // §9: ENOSPC on the table (or manifest) write sets reject; the guard's next poll looks at statfs again.
        this.#noteDiskFull(err, 'memtable flush');
        if (err instanceof SyncFailedError) {
          // §0: an fsync failure is fatal, never retried (the pages it covered may be gone).
          this.#onFatal(err);
          throw err;
        }
        if (this.#status !== 'open') throw err;
        log.error({ err, attempt }, 'memtable flush failed; retrying');
        await new Promise((r) => setTimeout(r, FLUSH_RETRY_MS));
        if (this.#status !== 'open') throw err;
      }
    }
    if (logStart !== undefined) {
      try {
        const removed = await this.#log.dropSegmentsBelow(logStart);
        log.debug({ removed, log_start: logStart }, 'trimmed commit-log segments');
      } catch (err) {
        // Left for the next start's orphan sweep (§5 step 4).
        log.warn({ err, log_start: logStart }, 'could not unlink flushed commit-log segments');
      }
    }
    // §9: after each flush (the table used space, the trimmed segments freed some). Never throws.
    if (this.#status === 'open') void this.#disk.check();
  }

  /** An ENOSPC (raw, or DISK_FULL from the commit log or manifest) puts the disk guard in reject (§2, §9). */
  #noteDiskFull(err: unknown, what: string): void {
    const code = errnoCode(err);
    if (code === 'ENOSPC' || code === 'DISK_FULL') this.#disk.markFull(what);
  }

  async #flushOnce(imm: Memtable, logStart: number | undefined): Promise<void> {
    const manifest = this.#manifest;
    let handle: TableHandle | undefined;
    const add: TableMeta[] = [];
    if (imm.size > 0) {
      const file = manifest.nextFileNumber();
      const path = this.#tablePath(file);
      const info = await writeSSTable(
        { fs: this.#fs, path, fileNumber: file, level: 0, reason: 'flush', blockBytes: this.#opts.blockBytes, bloomBitsPerKey: this.#opts.bloomBitsPerKey },
        memtableEntries(imm),
      );
      const meta = tableMetaOf(info, 0);
      let reader: SSTableReader;
      try {
        reader = await SSTableReader.open(this.#fs, path, { fileNumber: file, blockCache: this.#blockCache });
      } catch (err) {
        await this.#fs.unlink(path).catch(() => undefined);
        throw err;
      }
      handle = handleOf(meta, reader);
      add.push(meta);
    }
    try {
      // The commit point of the flush.
      await manifest.commit({ reason: 'flush', add, ...(logStart !== undefined ? { logStart } : {}) });
    } catch (err) {
      if (handle) {
        await handle.reader.close().catch(() => undefined);
        // Not committed: delete it. Outcome unknown (the EDIT may be on disk, e.g. its fdatasync failed): keep it,
        // the next start either finds it in the manifest or deletes it as an orphan.
        if (committedNot(err) && (manifest.state.tables.get(0)?.every((t) => t.file !== handle.meta.file) ?? true)) {
          await this.#fs.unlink(handle.reader.path).catch(() => undefined);
        }
      }
      throw err;
    }
    // Install, then drop the immutable memtable in the same turn: a read sees the data in exactly one of them.
    if (handle) {
      const t = this.#tables;
      this.#setTables(buildTableSet([handle, ...t.l0], t.levels));
    }
    this.#tableGen++;
    if (this.#immutable === imm) this.#immutable = undefined;
    this.#flushes++;
    this.#opts.logger.info(
      { file: handle?.meta.file, keys: handle?.meta.keys ?? 0, bytes: handle?.meta.size ?? 0, log_start: logStart },
      'flushed a memtable to L0',
    );
  }

  // ── Range scans and digests (§8) ─────────────────────────────────────────────────────────────────────────────────

  /**
   * ScanRange (§8): a full ordered merge scan over both memtables and a pinned table set, per-key Reduce, filtered by
   * ring position and tenant, in ckey order. Tables replaced by a compaction meanwhile stay readable until the scan
   * ends. A table checksum failure throws CHECKSUM_MISMATCH (and marks the table suspect). Yields to the event loop
   * at least every 256 keys so a scan over memtables alone does not hold it.
   */
  async *scan(opts: ScanOptions = {}): AsyncGenerator<MergedEntry> {
    this.#assertReadable();
    const ranges = opts.ranges ?? [];
    const inRanges = (ckey: Buffer): boolean => {
      if (ranges.length === 0) return true;
      const pos = ckeyPosition(ckey);
      return ranges.some((r) => inRingRange(pos, r.start, r.end));
    };
    // A tenant's keys are one contiguous ckey interval (tenant ‖ 0x00 ‖ key): scan each listed tenant's interval.
    const tenants = [...new Set(opts.tenants ?? [])].map((t) => Buffer.from(`${t}\u0000`, 'utf8')).sort(Buffer.compare);
    const intervals: Array<{ from: Buffer | undefined; prefix: Buffer | undefined }> =
      tenants.length === 0 ? [{ from: undefined, prefix: undefined }] : tenants.map((p) => ({ from: p, prefix: p }));
    const pinned = this.#tables.all.slice();
    for (const h of pinned) h.refs++;
    const active = this.#active;
    const immutable = this.#immutable;
    let sinceYield = 0;
    try {
      for (const iv of intervals) {
        let from = iv.from;
        let exclusive = false;
        if (opts.after && (!from || Buffer.compare(opts.after, from) >= 0)) {
          from = opts.after;
          exclusive = true;
        }
        if (iv.prefix && from && !from.subarray(0, iv.prefix.length).equals(iv.prefix) && Buffer.compare(from, iv.prefix) > 0) continue;
        const nowMs = this.#now();
        for await (const e of mergeIterator(this.#scanSources(pinned, active, immutable, from, exclusive), { nowMs })) {
          if (iv.prefix && !e.ckey.subarray(0, iv.prefix.length).equals(iv.prefix)) break;
          if (++sinceYield >= 256) {
            sinceYield = 0;
            await new Promise((r) => setImmediate(r));
          }
          if (!inRanges(e.ckey)) continue;
          const versions = opts.includeExpiredTombstones ? e.versions : withoutExpiredTombstones(e.versions, nowMs, this.#policy.gcGraceMs);
          if (versions.length === 0) continue;
          yield versions === e.versions ? e : { ckey: e.ckey, versions, wids: e.wids };
        }
      }
    } catch (err) {
      if (err instanceof SSTableCorruptionError) {
        this.#checksumFailures++;
        this.#markSuspect(err.file, err);
        throw new PairdbError('CHECKSUM_MISMATCH', err.message, { cause: err });
      }
      throw err;
    } finally {
      for (const h of pinned) this.#unpin(h);
    }
  }

  #scanSources(
    pinned: readonly TableHandle[],
    active: Memtable,
    immutable: Memtable | undefined,
    from: Buffer | undefined,
    exclusive: boolean,
  ): Array<Iterable<MergeEntry> | AsyncIterable<MergeEntry>> {
    const mem = function* (m: Memtable): Generator<MergeEntry> {
      for (const e of m.entriesFrom(from, exclusive)) if (e.versions.length > 0) yield e;
    };
    const table = async function* (hs: readonly TableHandle[]): AsyncGenerator<MergeEntry> {
      for (const h of hs) {
        if (from && Buffer.compare(h.maxKey, from) < 0) continue;
        for await (const e of h.reader.entries(from, { fillCache: false })) {
          if (exclusive && from && e.ckey.equals(from)) continue;
          yield e;
        }
      }
    };
    const sources: Array<Iterable<MergeEntry> | AsyncIterable<MergeEntry>> = [mem(active)];
    if (immutable) sources.push(mem(immutable));
    const byLevel = new Map<number, TableHandle[]>();
    for (const h of pinned) {
      const lv = byLevel.get(h.meta.level) ?? [];
      lv.push(h);
      byLevel.set(h.meta.level, lv);
    }
    for (const [level, hs] of byLevel) {
      // L0 tables overlap: one source each. A deeper level is one disjoint run read in key order.
      if (level === 0) for (const h of hs) sources.push(table([h]));
      else sources.push(table(hs.sort((a, b) => Buffer.compare(a.minKey, b.minKey))));
    }
    return sources;
  }

  /**
   * RangeDigest (§8): one ordered scan of the range (tenant filter applied) feeding the Merkle leaves. Equal logical
   * content gives equal digests whatever the flush and compaction history.
   */
  async rangeDigest(
    range: RingRange,
    opts: { readonly depth?: number; readonly tenants?: readonly string[]; readonly signal?: AbortSignal } = {},
  ): Promise<RangeDigest> {
    const builder = new RangeDigestBuilder(range.start, range.end, {
      depth: opts.depth,
      nowMs: this.#now(),
      gcGraceMs: this.#policy.gcGraceMs,
      tenants: opts.tenants,
    });
    for await (const e of this.scan({ ranges: [range], tenants: opts.tenants })) {
      // A cancelled RangeDigest call (client gone, deadline passed) stops the scan instead of finishing it.
      if (opts.signal?.aborted) throw new PairdbError('INTERRUPTED', 'range digest cancelled', { cause: opts.signal.reason });
      builder.add(e.ckey, e.versions);
    }
    return builder.finish();
  }

  /** gc_grace in ms (Stats reports it; scans and digests apply it). */
  get gcGraceMs(): number {
    return this.#policy.gcGraceMs;
  }

  // ── Compaction (§6) ────────────────────────────────────────────────────────────────────────────────────────────

  /** Starts the next background compaction if there is one to do and none is running (after flushes, jobs, open). */
  #maybeCompact(): void {
    if (this.#compactJob || this.#compactTimer || this.#status !== 'open' || !this.#autoCompact || this.#manualCompactions > 0) return;
    const pick = this.#pick();
    if (!pick) return;
    const job = this.#runPick(pick).then(
      () => {
        this.#compactBackoffMs = 0;
      },
      (err: unknown) => this.#compactionFailed(err),
    );
    this.#compactJob = job.finally(() => {
      this.#compactJob = undefined;
      if (this.#status === 'open') {
        this.#releaseStalls();
        this.#maybeCompact();
      }
    });
  }

  #pick(): CompactionPick | undefined {
    const tables = this.#manifest.state.tables;
    const nowMs = this.#now();
    const pick = pickCompaction(tables, { policy: this.#policy, cursors: this.#cursors, nowMs, exclude: this.#suspect });
    if (pick?.kind !== 'tombstone-gc' || !this.#gcNoop.has(pick.inputs[0].file)) return pick;
    return pickTombstoneGc(tables, this.#policy, nowMs, new Set([...this.#suspect, ...this.#gcNoop]));
  }

  /**
   * §6 crash safety: a checksum failure in an input marks that table suspect (never compacted again, health
   * degraded; its data stays readable where the blocks are good); any other failure retries with backoff.
   */
  #compactionFailed(err: unknown): void {
    this.#compactionFailures++;
    this.#obs?.compaction('level', err instanceof SSTableCorruptionError || err instanceof MergeOrderError ? 'corrupt' : 'error', 0, 0, 0, 0);
    this.#noteDiskFull(err, 'compaction');
    const log = this.#opts.logger;
    if (err instanceof SyncFailedError) {
      this.#onFatal(err);
      return;
    }
    if (this.#status !== 'open') {
      log.info({ err }, 'compaction stopped: the engine is closing');
      return;
    }
    if (err instanceof SSTableCorruptionError || err instanceof MergeOrderError) {
      this.#checksumFailures++;
      this.#obs?.checksumFailure('sst');
      this.#markSuspect(err instanceof SSTableCorruptionError ? err.file : undefined, err);
      return;
    }
    this.#compactBackoffMs = Math.min(COMPACTION_RETRY_MAX_MS, Math.max(COMPACTION_RETRY_MIN_MS, this.#compactBackoffMs * 2));
    log.error({ err, retry_ms: this.#compactBackoffMs }, 'compaction failed; outputs deleted, retrying later');
    this.#compactTimer = setTimeout(() => {
      this.#compactTimer = undefined;
      this.#maybeCompact();
    }, this.#compactBackoffMs);
    this.#compactTimer.unref();
  }

  /** Marks the table at `path` suspect (§6, §7). A MergeOrderError names its source only by position: logged. */
  #markSuspect(path: string | undefined, err: Error): void {
    const h = path === undefined ? undefined : this.#tables.all.find((t) => t.reader.path === path);
    if (h) this.#suspect.add(h.meta.file);
    this.#opts.logger.error(
      { err, file: path, table: h?.meta.file, level: h?.meta.level },
      'sstable checksum failure: table marked suspect (not compacted again; node degraded)',
    );
  }

  /** File numbers of the tables that failed a checksum since open. */
  get suspectTables(): readonly number[] {
    return [...this.#suspect].sort((a, b) => a - b);
  }

  /** File numbers of the tables moved to quarantine/ at open (quarantineCorrupt). */
  get quarantinedTables(): readonly number[] {
    return this.#quarantined;
  }

  /** Levels L0..L(maxLevel − 1) can be compacted into the next (compact({level})). */
  get maxLevel(): number {
    return this.#policy.maxLevel;
  }

  /**
   * Snapshot (rpc.md §6, cli-and-ops.md §2.6): flushes the memtable, then hard-links every table of the installed set
   * into `dir` and writes a manifest naming exactly them (snapshot.ts writeSnapshotFiles). The set stays pinned
   * meanwhile, so a compaction that replaces it cannot unlink a table before its link exists; once linked, the
   * snapshot no longer depends on the data dir's names. Writes after the flush are not in the snapshot.
   */
  async snapshot(dir: string): Promise<SnapshotContent> {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    await this.flush();
    const pinned = this.#tables.all.slice();
    for (const h of pinned) h.refs++;
    try {
      // Copies: a trivial move changes a handle's meta in place, and the snapshot is the set as of now.
      const metas = pinned.map((h) => ({ ...h.meta }));
      const st = this.#manifest.state;
      return await writeSnapshotFiles(this.#fs, dir, {
        tables: metas,
        sourcePath: (f) => this.#tablePath(f),
        nextFile: st.nextFile,
        fenceEpoch: st.fenceEpoch,
      });
    } finally {
      for (const h of pinned) this.#unpin(h);
    }
  }

  /** Runs one pick: a trivial move (EDIT only) or a merge; commits, installs, releases the inputs. */
  async #runPick(pick: CompactionPick, drop?: (ckey: Buffer) => boolean): Promise<CompactionSummary> {
    const byFile = new Map(this.#tables.all.map((h) => [h.meta.file, h]));
    const handles = (metas: readonly TableMeta[]): TableHandle[] =>
      metas.map((m) => {
        const h = byFile.get(m.file);
        if (!h) throw new PairdbError('INTERNAL_ERROR', `compaction input ${m.file} is not in the installed table set`);
        return h;
      });
    const inputs = handles(pick.inputs);
    const over = handles(pick.overlapping);
    if (pick.trivialMove && !drop) return this.#move(inputs[0]!, pick.outputLevel, pick.nextCursor);

    const started = performance.now();
    const inputSet = new Set([...inputs, ...over]);
    // §9: a compaction starts only if the free space covers its inputs (the outputs are at most that big).
    const need = [...inputSet].reduce((n, h) => n + h.meta.size, 0);
    const usage = this.#disk.usage;
    if (this.#disk.known && usage.capacityBytes - usage.usedBytes < need) {
      throw new PairdbError('DISK_FULL', `compaction needs ${need} bytes free, ${usage.capacityBytes - usage.usedBytes} available`, {
        outcome: 'not_applied',
      });
    }
    const purged = { purged: 0 };
    const nowMs = this.#now();
    const rule = tombstonePurge({ nowMs, gcGraceMs: this.#policy.gcGraceMs, mayExistOutside: (ckey) => this.#mayExistOutside(ckey, inputSet) }, purged);
    // Keys whose set lost purged tombstones: their cached rows go at install (§7 cached sets equal the tables').
    const changedRows: string[] = [];
    const purge = (ckey: Buffer, versions: readonly Version[]): readonly Version[] => {
      const out = rule(ckey, versions);
      if (out !== versions) changedRows.push(ckey.toString('utf8'));
      return out;
    };
    for (const h of inputSet) h.refs++;
    let result: Awaited<ReturnType<typeof runCompaction>>;
    try {
      result = await runCompaction({
        fs: this.#fs,
        inputs: inputs.map((h) => ({ meta: h.meta, reader: h.reader })),
        overlapping: over.map((h) => ({ meta: h.meta, reader: h.reader })),
        outputLevel: pick.outputLevel,
        levelBelowOutput: this.#manifest.state.tables.get(pick.outputLevel + 1) ?? [],
        policy: this.#policy,
        allocateFile: () => this.#manifest.nextFileNumber(),
        tablePath: (f) => this.#tablePath(f),
        purge,
        drop,
        limiter: this.#limiter,
        blockBytes: this.#opts.blockBytes,
        bloomBitsPerKey: this.#opts.bloomBitsPerKey,
        nowMs,
        // Shutdown aborts a running compaction (cli-and-ops.md drain: temp files removed).
        cancelled: () => this.#status !== 'open',
      });
    } finally {
      for (const h of inputSet) this.#unpin(h);
    }
    const outputs: TableHandle[] = [];
    try {
      for (const meta of result.outputs) {
        const reader = await SSTableReader.open(this.#fs, this.#tablePath(meta.file), { fileNumber: meta.file, blockCache: this.#blockCache });
        outputs.push(handleOf(meta, reader));
      }
      // The commit point of the compaction (§5): outputs are published, inputs still listed until this is durable.
      await this.#manifest.commit({
        reason: 'compaction',
        remove: [...inputSet].map((h) => ({ file: h.meta.file, level: h.meta.level })),
        add: result.outputs,
      });
    } catch (err) {
      for (const h of outputs) await h.reader.close().catch(() => undefined);
      const committed = new Set([...this.#manifest.state.tables.values()].flat().map((t) => t.file));
      // Not committed: delete the outputs. Outcome unknown: the next start judges them (orphan or installed).
      if (committedNot(err)) {
        await discardOutputs(
          this.#fs,
          result.outputs.filter((m) => !committed.has(m.file)).map((m) => this.#tablePath(m.file)),
        );
      }
      throw err;
    }
    this.#install(inputSet, outputs);
    if (drop) this.#rowCache.clear();
    else for (const rk of changedRows) this.#rowCache.delete(rk);
    if (pick.nextCursor !== undefined) this.#cursors.set(pick.level, pick.nextCursor);
    if (pick.kind === 'tombstone-gc' && purged.purged === 0) for (const m of result.outputs) this.#gcNoop.add(m.file);
    if (pick.kind === 'level') this.#gcNoop.clear();
    this.#compactions++;
    this.#compactionBytesRead += result.bytesRead;
    this.#compactionBytesWritten += result.bytesWritten;
    this.#tombstonesPurged += purged.purged;
    this.#obs?.compaction(pick.kind, 'ok', (performance.now() - started) / 1000, result.bytesRead, result.bytesWritten, purged.purged);
    if (this.#status === 'open') void this.#disk.check();
    const summary: CompactionSummary = {
      tablesIn: inputSet.size,
      tablesOut: outputs.length,
      bytesIn: result.bytesRead,
      bytesOut: result.bytesWritten,
      entriesDropped: result.dropped,
      tombstonesPurged: purged.purged,
    };
    this.#opts.logger.info(
      {
        kind: pick.kind,
        level: pick.level,
        output_level: pick.outputLevel,
        inputs: [...inputSet].map((h) => h.meta.file),
        outputs: result.outputs.map((m) => m.file),
        keys_in: result.keysIn,
        keys_out: result.keysOut,
        bytes_in: result.bytesRead,
        bytes_out: result.bytesWritten,
        purged: purged.purged,
        dropped: result.dropped,
        ms: Math.round(performance.now() - started),
      },
      'compacted',
    );
    return summary;
  }

  /** §6 trivial move: one table changes level by an EDIT; no rewrite, the open reader stays. */
  async #move(h: TableHandle, outputLevel: number, nextCursor: string | undefined): Promise<CompactionSummary> {
    const from = h.meta.level;
    const moved: TableMeta = { ...h.meta, level: outputLevel };
    await this.#manifest.commit({ reason: 'move', remove: [{ file: h.meta.file, level: from }], add: [moved] });
    h.meta = moved;
    const t = this.#tables;
    const levels = t.levels.map((lv) => [...lv]);
    const l0 = from === 0 ? t.l0.filter((x) => x !== h) : [...t.l0];
    if (from > 0) levels[from - 1] = levels[from - 1]!.filter((x) => x !== h);
    while (levels.length < outputLevel) levels.push([]);
    levels[outputLevel - 1]!.push(h);
    sortLevel(outputLevel, levels[outputLevel - 1]!);
    this.#setTables(buildTableSet(l0, levels));
    this.#tableGen++;
    if (nextCursor !== undefined) this.#cursors.set(from, nextCursor);
    this.#compactions++;
    this.#obs?.compaction('move', 'ok', 0, 0, 0, 0);
    this.#opts.logger.info({ table: h.meta.file, from, to: outputLevel }, 'moved a table down a level');
    return { tablesIn: 1, tablesOut: 1, bytesIn: 0, bytesOut: 0, entriesDropped: 0, tombstonesPurged: 0 };
  }

  /** Replaces `removed` by `added` in the installed set; the removed tables go once no read pins them. */
  #install(removed: ReadonlySet<TableHandle>, added: readonly TableHandle[]): void {
    const t = this.#tables;
    const l0 = t.l0.filter((h) => !removed.has(h));
    const levels = t.levels.map((lv) => lv.filter((h) => !removed.has(h)));
    for (const h of added) {
      if (h.meta.level === 0) l0.push(h);
      else {
        while (levels.length < h.meta.level) levels.push([]);
        levels[h.meta.level - 1]!.push(h);
      }
    }
    sortLevel(0, l0);
    for (let i = 0; i < levels.length; i++) sortLevel(i + 1, levels[i]!);
    this.#setTables(buildTableSet(l0, levels));
    this.#tableGen++;
    for (const h of removed) {
      h.obsolete = true;
      this.#unpin(h);
    }
  }

  /**
   * Installs a table set and checks §9's pinned-memory bound: index + bloom + properties blocks of every open table
   * stay in memory; past 256 MiB a warning is logged (once per crossing).
   */
  #setTables(t: TableSet): void {
    this.#tables = t;
    let pinned = 0;
    for (const h of t.all) pinned += h.reader.pinnedBytes;
    const over = pinned > PINNED_WARN_BYTES;
    if (over && !this.#pinnedWarned) {
      this.#opts.logger.warn({ pinned_bytes: pinned, tables: t.all.length }, 'index and bloom blocks pinned in memory exceed 256 MiB');
    }
    this.#pinnedWarned = over;
  }

  #unpin(h: TableHandle): void {
    if (--h.refs > 0 || !h.obsolete) return;
    // Its cached blocks would only take room (readahead uses spare room only) until the LRU aged them out.
    this.#blockCache.evictFile(h.meta.file);
    // The EDIT that removed it is durable (§5 deletion order); a failed unlink leaves an orphan for the next start.
    h.reader
      .close()
      .then(() => this.#fs.unlink(h.reader.path))
      .catch((err: unknown) => this.#opts.logger.warn({ err, file: h.reader.path }, 'could not delete a compacted table'));
  }

  /**
   * Tombstone purge condition 2 (§6): a memtable holds the ckey, or a table outside the inputs (any level) may hold
   * it by key range and bloom filter.
   */
  #mayExistOutside(ckey: Buffer, inputs: ReadonlySet<TableHandle>): boolean {
    const mapKey = ckey.toString('utf8');
    if (this.#active.getByMapKey(mapKey) || this.#immutable?.getByMapKey(mapKey)) return true;
    for (const h of this.#tables.all) {
      if (!inputs.has(h) && inRange(h, ckey) && h.reader.mayContain(ckey)) return true;
    }
    return false;
  }

  /**
   * The Compact RPC (§6): flushes the memtable, then compacts every level into the next, top-down, until all data
   * sits in one level (or, with `level`, that level once into the next). `drop` omits matching keys: every table is
   * rewritten then, so no matching key survives anywhere. Waits for a running background job first and keeps the
   * background picker off meanwhile. A suspect table in the way fails with CORRUPT_FILE.
   */
  async compact(opts: CompactOptions = {}): Promise<CompactionSummary> {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    if (opts.level !== undefined && (!Number.isInteger(opts.level) || opts.level < 0 || opts.level >= this.#policy.maxLevel)) {
      throw new PairdbError('INVALID_REQUEST', `level must be an integer from 0 to ${this.#policy.maxLevel - 1}`);
    }
    if (opts.level !== undefined && opts.drop) throw new PairdbError('INVALID_REQUEST', 'drop needs a full compaction (all levels)');
    // One manual compaction at a time: a second call waits for the first (each picks its inputs only once the
    // table set is its alone).
    const previous = this.#manualChain;
    let done!: () => void;
    this.#manualChain = new Promise<void>((r) => (done = r));
    await previous;
    try {
      return await this.#compactNow(opts);
    } finally {
      done();
    }
  }

  async #compactNow(opts: CompactOptions): Promise<CompactionSummary> {
    this.#manualCompactions++;
    const total = { tablesIn: 0, tablesOut: 0, bytesIn: 0, bytesOut: 0, entriesDropped: 0, tombstonesPurged: 0 };
    const add = (s: CompactionSummary): void => {
      for (const k of Object.keys(total) as (keyof CompactionSummary)[]) total[k] += s[k];
    };
    try {
      if (opts.level === undefined) await this.flush();
      while (this.#compactJob) await this.#compactJob;
      const steps = opts.level === undefined ? this.#policy.maxLevel + 1 : 1;
      let rewroteLast = false;
      for (let i = 0; i < steps; i++) {
        if (this.#status !== 'open') throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`);
        const tables = this.#manifest.state.tables;
        const nonEmpty = [...tables.entries()].filter(([, ts]) => ts.length > 0).map(([l]) => l).sort((a, b) => a - b);
        if (nonEmpty.length === 0) break;
        const level = opts.level ?? nonEmpty[0]!;
        let outputLevel = level + 1;
        if (opts.level === undefined && nonEmpty.length === 1 && level > 0) {
          // All data sits in one level: done, unless a drop must still rewrite it.
          if (!opts.drop || rewroteLast) break;
          outputLevel = level;
        }
        const inputs = tables.get(level) ?? [];
        if (inputs.length === 0) break;
        const { min, max } = keyRange(inputs);
        const over = outputLevel === level ? [] : opts.drop ? [...(tables.get(outputLevel) ?? [])] : overlapping(tables.get(outputLevel), min, max);
        const suspect = [...inputs, ...over].find((t) => this.#suspect.has(t.file));
        if (suspect) {
          throw new PairdbError('CORRUPT_FILE', `table ${suspect.file} (L${suspect.level}) failed a checksum; quarantine it before compacting`);
        }
        const pick: CompactionPick = {
          kind: 'level',
          level,
          outputLevel,
          score: 0,
          inputs,
          overlapping: over,
          trivialMove: inputs.length === 1 && over.length === 0 && outputLevel !== level,
          nextCursor: undefined,
        };
        add(await this.#runPick(pick, opts.drop));
        // With a drop every step takes the whole output level, so everything there has been filtered.
        rewroteLast = opts.drop !== undefined;
        if (outputLevel === level) break;
      }
      return total;
    } finally {
      this.#manualCompactions--;
      if (this.#status === 'open') {
        this.#releaseStalls();
        this.#maybeCompact();
      }
    }
  }

  stats(): EngineStats {
    const log = this.#log;
    const imm = this.#immutable;
    let liveT = 0;
    let deadT = 0;
    let tableBytes = 0;
    let pinned = 0;
    let pinnedBloom = 0;
    const levels = new Map<number, { tables: number; bytes: number }>();
    for (const h of this.#tables.all) {
      pinned += h.reader.pinnedBytes;
      pinnedBloom += h.reader.footer.bloomLength;
      const lv = levels.get(h.meta.level) ?? { tables: 0, bytes: 0 };
      lv.tables++;
      lv.bytes += h.meta.size;
      levels.set(h.meta.level, lv);
      liveT += h.meta.keys - h.meta.tombstones;
      deadT += h.meta.tombstones;
      tableBytes += h.meta.size;
    }
    return {
      keyCount: this.#active.liveKeys + (imm?.liveKeys ?? 0) + liveT,
      tombstoneCount: this.#active.tombstoneKeys + (imm?.tombstoneKeys ?? 0) + deadT,
      memtableBytes: this.#active.bytes + (imm?.bytes ?? 0),
      immutableMemtableBytes: imm?.bytes ?? 0,
      commitlogBytes: log.bytes,
      segments: log.segments,
      writesApplied: this.#applied,
      writesNoop: this.#noop,
      writesRejected: this.#rejected,
      commitlogBatches: log.counters.batches,
      commitlogWrites: log.counters.writes,
      commitlogSyncs: log.counters.syncs,
      tables: this.#tables.all.length,
      tableBytes,
      l0Tables: this.#tables.l0.length,
      levels,
      blockCacheHitRate: this.#blockCache.hitRate,
      rowCacheHitRate: this.#rowCache.hitRate,
      rowCacheEntries: this.#rowCache.size,
      rowCacheBytes: this.#rowCache.bytes,
      flushes: this.#flushes,
      writeStalls: this.#stalls,
      checksumFailures: this.#checksumFailures,
      compactions: this.#compactions,
      compactionFailures: this.#compactionFailures,
      compactionBytesRead: this.#compactionBytesRead,
      compactionBytesWritten: this.#compactionBytesWritten,
      tombstonesPurged: this.#tombstonesPurged,
      pendingCompactions: this.#pendingCompactions(),
      suspectTables: this.#suspect.size,
      l0Slowdowns: this.#slowdowns,
      logStart: this.#manifest.state.logStart,
      commitlogBytesWritten: log.counters.bytes,
      commitlogTornTruncations: this.#replay.truncatedBytes > 0 ? 1 : 0,
      commitlogEnospcTruncations: log.counters.enospcTruncations,
      rowCacheHits: this.#rowCache.hits,
      rowCacheMisses: this.#rowCache.misses,
      rowCacheEvictions: this.#rowCache.evictions,
      rowCacheRejections: this.#rowCache.rejections,
      blockCacheHits: this.#blockCache.hits,
      blockCacheMisses: this.#blockCache.misses,
      blockCacheBytes: this.#blockCache.bytes,
      bloomNegative: this.#bloomNegative,
      bloomPositive: this.#bloomPositive,
      bloomFalsePositive: this.#bloomFalsePositive,
      pinnedIndexBytes: pinned - pinnedBloom,
      pinnedBloomBytes: pinnedBloom,
      diskState: this.#disk.state,
      diskUsageRatio: this.#disk.usage.ratio,
      diskUsageKnown: this.#disk.known,
      diskUsedBytes: this.#disk.usage.usedBytes,
      diskCapacityBytes: this.#disk.usage.capacityBytes,
      diskRejections: this.#disk.rejections,
    };
  }

  #pendingCompactions(): number {
    const tables = this.#manifest.state.tables;
    let n = 0;
    for (let level = 0; level < this.#policy.maxLevel; level++) if (levelScore(tables, level, this.#policy) >= 1) n++;
    return n;
  }

  /** The disk guard's state (§9): warn and worse make the node `degraded`. */
  get diskState(): DiskState {
    return this.#disk.state;
  }

  /** Used fraction (0..1) of the fullest file system under the data directory, as of the last check. */
  get diskUsageRatio(): number {
    return this.#disk.usage.ratio;
  }

  /** Re-reads statfs now (the guard also polls every diskPollIntervalMs and checks after each flush). */
  checkDisk(): Promise<DiskState> {
    return this.#disk.check();
  }

  /** Active-memtable entries in ckey order (tests; data already flushed to tables is not included). */
  entries(): Iterable<MemEntry> {
    return this.#active;
  }

  /**
   * Drains in-flight writes to durability, flushes the memtable (flushOnShutdown, default true), closes the log,
   * the manifest and the tables, and releases LOCK. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#status === 'closed' || this.#status === 'closing') return;
    if (this.#status === 'open') this.#status = 'closing';
    this.#disk.stop();
    this.#releaseStalls(new PairdbError('SERVICE_UNAVAILABLE', 'storage engine is closing', { outcome: 'not_applied' }));
    if (this.#compactTimer) clearTimeout(this.#compactTimer);
    this.#compactTimer = undefined;
    try {
      while (this.#compactJob) await this.#compactJob;
      if (this.#flushJob) await this.#flushJob.catch(() => undefined);
      if ((this.#opts.flushOnShutdown ?? true) && this.#status === 'closing') {
        await this.flush().catch((err: unknown) => this.#opts.logger.warn({ err }, 'flush on shutdown failed; the commit log keeps the data'));
      }
      await this.#log.close();
    } finally {
      await this.#closeFiles();
      await this.#lock.release();
      if (this.#status === 'closing') this.#status = 'closed';
    }
  }

  async #closeFiles(): Promise<void> {
    await this.#manifest?.close().catch(() => undefined);
    for (const h of this.#tables.all) await h.reader.close().catch(() => undefined);
  }

  #assertReadable(): void {
    if (this.#status === 'closed') throw new PairdbError('SERVICE_UNAVAILABLE', 'storage engine is closed');
  }

  readonly #applyWrite = (w: LogWrite): void => {
    const mem = this.#active;
    const now = this.#now();
    mem.merge(w.tenantId, w.key, [w.version], w.wids, now, (w as PendingWrite).hint);
    // §7: every applied write (client, internal, blind, replayed) updates a cached set in place, so it stays complete.
    if (this.#rowCache.size > 0) {
      this.#rowCache.update(rowKey(w.tenantId, w.key), (row) => ({
        versions: row.versions.length === 0 ? [w.version] : reduce([...row.versions, w.version]),
        wids: w.wids.length === 0 ? row.wids : mergeWriteIds(row.wids, w.wids, now),
      }));
    }
    // The flush trigger; #log is unset during replay (replay never flushes, §2 "MAY").
    if (this.#log && mem.bytes >= this.#memtableBytes && !this.#flushJob) this.#maybeFlush();
  };

  readonly #onFatal = (err: Error): void => {
    this.#status = 'failed';
    this.#releaseStalls(new PairdbError('SERVICE_UNAVAILABLE', `storage I/O failed: ${err.message}`, { outcome: 'not_applied', cause: err }));
    this.#opts.onFatal?.(err);
  };
}

/** Bytes a write puts in the log, about (ckey + encoded versions): what the disk throttle books (§9). */
function writeBytes(tenantId: string, key: string, versions: readonly Version[]): number {
  let n = Buffer.byteLength(tenantId, 'utf8') + 1 + Buffer.byteLength(key, 'utf8');
  for (const v of versions) n += encodedVersionSize(v);
  return n;
}

/** A memtable's entries as SSTable entries (ckey order, non-empty sets). */
function* memtableEntries(m: Memtable): Generator<SSTableEntry> {
  for (const e of m) if (e.versions.length > 0) yield { ckey: e.ckey, versions: e.versions, wids: e.wids };
}
