import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import type { Logger } from '../observability/logger.js';
import { LruBlockCache } from './block-cache.js';
import { BLOOM_SEED_1, BLOOM_SEED_2, murmur3 } from './bloom.js';
import { CommitLog, type CommitLogSync, type ReplayReport } from './commit-log.js';
import type { LogWrite } from './commit-log-format.js';
import { DataDirLock, isPidAlive } from './data-dir-lock.js';
import { type FileSystem, NodeFileSystem, errnoCode } from './file-system.js';
import { Manifest, type ManifestState, type TableMeta } from './manifest.js';
import { type MemEntry, type MergeHint, Memtable, encodeCkey } from './memtable.js';
import { RowCache, rowWeight } from './row-cache.js';
import { compareBytes, sstFileName } from './sstable-format.js';
import { BLOCK_MISS, type BlockMiss, SSTableCorruptionError, SSTableReader } from './sstable-reader.js';
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
  readonly logStart: number;
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
  readonly onFatal?: (err: Error) => void;
  readonly now?: () => number;
  /** Owner pid written to LOCK (default: this process). */
  readonly pid?: number;
  readonly isPidAlive?: (pid: number) => boolean;
}

/** Sibling cap of cluster.md §5 for CLIENT writes. */
export const MAX_CLIENT_VERSIONS = 64;
export const DEFAULT_MEMTABLE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 10_000;
export const DEFAULT_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_ROW_CACHE_BYTES = 128 * 1024 * 1024;
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

/** One open table of the installed set. */
interface TableHandle {
  readonly meta: TableMeta;
  readonly reader: SSTableReader;
  readonly minKey: Buffer;
  readonly maxKey: Buffer;
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

function handleOf(meta: TableMeta, reader: SSTableReader): TableHandle {
  return { meta, reader, minKey: Buffer.from(meta.minKey, 'hex'), maxKey: Buffer.from(meta.maxKey, 'hex') };
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
    } catch (err) {
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
    // A replayed memtable past the threshold flushes now, not at the first write.
    engine.#maybeFlush();
    return engine;
  }

  async #startup(): Promise<void> {
    const opts = this.#opts;
    const fs = this.#fs;
    const dir = opts.dataDir;
    // Step 1–2: CURRENT + manifest replay.
    const { manifest } = await Manifest.open(dir, fs, { logger: opts.logger, onFatal: this.#onFatal, adoptCommitLog: true });
    this.#manifest = manifest;
    const sstDir = join(dir, 'sst');
    await fs.mkdir(sstDir);
    await fs.fsyncDir(dir);
    // Step 3: open every table; a failure refuses to start, naming the file (SSTableCorruptionError: CORRUPT_FILE).
    this.#tables = await this.#openTables(manifest.state);
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
    try {
      for (const [level, metas] of [...state.tables.entries()].sort((a, b) => a[0] - b[0])) {
        for (const meta of metas) {
          const reader = await SSTableReader.open(this.#fs, this.#tablePath(meta.file), { fileNumber: meta.file, blockCache: this.#blockCache });
          const h = handleOf(meta, reader);
          if (level === 0) l0.push(h);
          else (levels[level - 1] ??= []).push(h);
        }
      }
    } catch (err) {
      for (const h of [...l0, ...levels.flat()]) await h.reader.close().catch(() => undefined);
      throw err;
    }
    l0.sort((a, b) => b.meta.file - a.meta.file);
    for (const lv of levels) lv?.sort((a, b) => Buffer.compare(a.minKey, b.minKey));
    return buildTableSet(l0, Array.from(levels, (lv) => lv ?? []));
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
    const rk = rowKey(tenantId, key);
    const hit = this.#rowCache.get(rk);
    if (hit) return { versions: hit.versions, wids: this.#liveWids(hit.wids) };
    const ckey = Buffer.from(rk, 'utf8');
    const switches = this.#switches;
    const gen = this.#tableGen;
    const part = this.#lookupTables(this.#candidates(ckey), ckey);
    if (part instanceof Promise) return this.#readAwaiting(rk, ckey, switches, gen, part);
    return this.#finishRead(rk, switches, part);
  }

  /** The rest of a read whose table lookups went to disk. */
  async #readAwaiting(rk: string, ckey: Buffer, switches: number, gen: number, pending: Promise<TablePart | undefined>): Promise<KeyRead> {
    let part = await pending;
    while (gen !== this.#tableGen) {
      // A flush installed a table (and dropped its memtable) meanwhile: read again against the new set.
      gen = this.#tableGen;
      const again = this.#lookupTables(this.#candidates(ckey), ckey);
      part = again instanceof Promise ? await again : again;
    }
    return this.#finishRead(rk, switches, part);
  }

  /** §7 steps 3–4 for the tables' part of a read: merge the memtables in (this same turn), fill the row cache. */
  #finishRead(rk: string, switches: number, part: TablePart | undefined): KeyRead {
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
    for (const h of t.l0) {
      if (!inRange(h, ckey)) continue;
      if (!hashed) {
        h1 = murmur3(ckey, BLOOM_SEED_1);
        h2 = murmur3(ckey, BLOOM_SEED_2);
        hashed = true;
      }
      if (h.reader.bloom.mayContainHashes(h1, h2)) out = out === NO_TABLES ? [h] : (out.push(h), out);
    }
    for (const lv of t.levels) {
      let lo = 0;
      let hi = lv.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const h = lv[mid]!;
        if (compareBytes(ckey, 0, klen, h.minKey, 0, h.minKey.length) < 0) hi = mid - 1;
        else if (compareBytes(ckey, 0, klen, h.maxKey, 0, h.maxKey.length) > 0) lo = mid + 1;
        else {
          if (!hashed) {
            h1 = murmur3(ckey, BLOOM_SEED_1);
            h2 = murmur3(ckey, BLOOM_SEED_2);
            hashed = true;
          }
          if (h.reader.bloom.mayContainHashes(h1, h2)) out = out === NO_TABLES ? [h] : (out.push(h), out);
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
      if (e !== BLOCK_MISS) return e;
      return this.#readBlock(reader, ckey).catch((err: unknown) => {
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
          this.#readBlock(reader, ckey).then((x) => {
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

  /** lookupUncached, counted in #blockReads while it runs. */
  #readBlock(reader: SSTableReader, ckey: Buffer): Promise<SSTableEntry | undefined> {
    this.#blockReads++;
    return reader.lookupUncached(ckey).finally(() => {
      this.#blockReads--;
    });
  }

  /** The Reduce-d union of the tables' entries for one key. */
  #unionOf(found: ReadonlyArray<SSTableEntry | undefined>): TablePart | undefined {
    let only: SSTableEntry | undefined;
    let many = false;
    for (const e of found) {
      if (!e) continue;
      if (only) many = true;
      else only = e;
    }
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
      this.#opts.logger.error({ file: err.file, offset: err.offset, what: err.what }, 'sstable checksum failure on read');
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
    try {
      return this.#write(tenantId, key, versions, opts);
    } catch (err) {
      this.#rejected++;
      return Promise.reject(err);
    }
  }

  /**
   * The checks every write makes before it is logged (throws); returns a promise when the write must first wait
   * out a flush stall (FIFO), after which the caller starts it again.
   */
  #admit(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<void> | undefined {
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
    if (this.#stallWaiters.length === 0 && !this.#stalled()) return undefined;
    return this.#waitStall().catch((err: unknown) => {
      this.#rejected++;
      throw err;
    });
  }

  // Synchronous up to the log append when no table may hold the key, so every write of one event-loop turn joins
  // one group commit; a key some table may hold is read first (async).
  #write(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<WriteResult> {
    const stall = this.#admit(tenantId, key, versions, opts);
    if (stall) return stall.then(() => this.writeVersions(tenantId, key, versions, opts));
    const ckey = encodeCkey(tenantId, key);
    const gen = this.#tableGen;
    const cands = this.#candidates(ckey);
    if (cands.length === 0) return this.#writeWith(undefined, tenantId, key, versions, opts);
    return this.#readTables(cands, ckey).then(
      (part) => {
        if (gen !== this.#tableGen) return this.writeVersions(tenantId, key, versions, opts);
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
    try {
      return this.#writeBlind(tenantId, key, Array.isArray(version) ? (version as readonly Version[]) : [version as Version], opts);
    } catch (err) {
      this.#rejected++;
      return Promise.reject(err);
    }
  }

  #writeBlind(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<void> {
    const stall = this.#admit(tenantId, key, versions, opts);
    if (stall) return stall.then(() => this.writeBlind(tenantId, key, versions, opts));
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
        throw err;
      },
    );
  }

  /** §3 back-pressure: the active memtable is full while the immutable one is still flushing. */
  #stalled(): boolean {
    return this.#immutable !== undefined && this.#active.bytes >= this.#memtableBytes;
  }

  #waitStall(): Promise<void> {
    this.#stalls++;
    return new Promise<void>((resolve, reject) => {
      const w: StallWaiter = { resolve, reject, timer: undefined };
      w.timer = setTimeout(() => {
        const i = this.#stallWaiters.indexOf(w);
        if (i >= 0) this.#stallWaiters.splice(i, 1);
        reject(
          new PairdbError('SERVICE_UNAVAILABLE', `write stalled over ${this.#stallTimeoutMs} ms waiting for a memtable flush`, {
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
      try {
        await this.#flushOnce(imm, logStart);
        break;
      } catch (err) {
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
  }

  async #flushOnce(imm: Memtable, logStart: number | undefined): Promise<void> {
    const manifest = this.#manifest;
    let handle: TableHandle | undefined;
    const add: TableMeta[] = [];
    if (imm.size > 0) {
      const file = manifest.nextFileNumber();
      const path = this.#tablePath(file);
      const info = await writeSSTable({ fs: this.#fs, path, fileNumber: file, level: 0, reason: 'flush' }, memtableEntries(imm));
      const p = info.properties;
      const meta: TableMeta = {
        file,
        level: 0,
        size: info.size,
        minKey: p.min_key,
        maxKey: p.max_key,
        keys: p.keys,
        tombstones: p.tombstones,
        oldestTombstoneTs: p.oldest_tombstone_ts,
      };
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
        // Not committed (unless the outcome is unknown: then the next start judges it).
        if (manifest.state.tables.get(0)?.every((t) => t.file !== handle.meta.file) ?? true) {
          await this.#fs.unlink(handle.reader.path).catch(() => undefined);
        }
      }
      throw err;
    }
    // Install, then drop the immutable memtable in the same turn: a read sees the data in exactly one of them.
    if (handle) {
      const t = this.#tables;
      this.#tables = buildTableSet([handle, ...t.l0], t.levels);
    }
    this.#tableGen++;
    if (this.#immutable === imm) this.#immutable = undefined;
    this.#flushes++;
    this.#opts.logger.info(
      { file: handle?.meta.file, keys: handle?.meta.keys ?? 0, bytes: handle?.meta.size ?? 0, log_start: logStart },
      'flushed a memtable to L0',
    );
  }

  stats(): EngineStats {
    const log = this.#log;
    const imm = this.#immutable;
    let liveT = 0;
    let deadT = 0;
    let tableBytes = 0;
    const levels = new Map<number, { tables: number; bytes: number }>();
    for (const h of this.#tables.all) {
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
      logStart: this.#manifest.state.logStart,
    };
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
    this.#releaseStalls(new PairdbError('SERVICE_UNAVAILABLE', 'storage engine is closing', { outcome: 'not_applied' }));
    try {
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

/** A memtable's entries as SSTable entries (ckey order, non-empty sets). */
function* memtableEntries(m: Memtable): Generator<SSTableEntry> {
  for (const e of m) if (e.versions.length > 0) yield { ckey: e.ckey, versions: e.versions, wids: e.wids };
}
