import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import { type Version, reduce } from '../model/version.js';
import type { Logger } from '../observability/logger.js';
import { CommitLog, type CommitLogSync, type ReplayReport } from './commit-log.js';
import type { LogWrite } from './commit-log-format.js';
import { DataDirLock, isPidAlive } from './data-dir-lock.js';
import { type FileSystem, NodeFileSystem } from './file-system.js';
import { type MergeHint, Memtable } from './memtable.js';
import { NO_WRITE_IDS, WRITE_ID_TTL_MS, type WriteIdEntry, hasWriteId, mergeWriteIds } from './write-ids.js';

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
  /** Keys with at least one live version. */
  readonly keyCount: number;
  /** Keys whose versions are all tombstones. */
  readonly tombstoneCount: number;
  readonly memtableBytes: number;
  readonly commitlogBytes: number;
  readonly segments: number;
  readonly writesApplied: number;
  readonly writesNoop: number;
  readonly writesRejected: number;
  readonly commitlogBatches: number;
  readonly commitlogWrites: number;
  readonly commitlogSyncs: number;
}

export interface StorageEngineOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly fs?: FileSystem;
  readonly commitlogSync?: CommitLogSync;
  readonly syncIntervalMs?: number;
  readonly segmentBytes?: number;
  /** Called once on an fsync/fdatasync failure (storage-engine.md §0: the process must exit 74). */
  readonly onFatal?: (err: Error) => void;
  readonly now?: () => number;
  /** Owner pid written to LOCK (default: this process). */
  readonly pid?: number;
  readonly isPidAlive?: (pid: number) => boolean;
}

/** Sibling cap of cluster.md §5 for CLIENT writes. */
export const MAX_CLIENT_VERSIONS = 64;

export type EngineStatus = 'open' | 'closing' | 'closed' | 'failed';

/** A log write that carries the Reduce result computed before logging (not encoded). */
interface PendingWrite extends LogWrite {
  readonly hint?: MergeHint;
}

const EMPTY: readonly Version[] = Object.freeze([]);

/** A lone surrogate would encode to U+FFFD, so two different strings would share one ckey. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertKey(tenantId: string, key: string): void {
  if (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.includes('\u0000') || LONE_SURROGATE.test(tenantId)) {
    throw new PairdbError('INVALID_REQUEST', 'tenant id must be non-empty well-formed text without NUL');
  }
  if (typeof key !== 'string' || key.length === 0 || key.includes('\u0000') || LONE_SURROGATE.test(key)) {
    throw new PairdbError('INVALID_REQUEST', 'key must be non-empty well-formed text without NUL');
  }
}

/**
 * The storage engine of one node (storage-engine.md): commit log + memtable for now (SSTables come later, so all
 * segments are replayed at open). Lifecycle: `open()` takes LOCK and replays; `close()` drains, syncs and
 * releases LOCK. Public methods check state and arguments, then do the work.
 */
export class StorageEngine {
  readonly #opts: StorageEngineOptions;
  readonly #memtable = new Memtable();
  readonly #now: () => number;
  #log!: CommitLog;
  #lock!: DataDirLock;
  #status: EngineStatus = 'open';
  #replay!: ReplayReport;
  #applied = 0;
  #noop = 0;
  #rejected = 0;

  private constructor(opts: StorageEngineOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Opens (or creates) the data directory: LOCK (DATA_DIR_LOCKED if a live process holds it), then commit-log
   * recovery into the memtable (CORRUPT_FILE naming segment and offset if the log cannot be trusted).
   */
  static async open(opts: StorageEngineOptions): Promise<StorageEngine> {
    const engine = new StorageEngine(opts);
    const fs = opts.fs ?? new NodeFileSystem();
    await fs.mkdir(opts.dataDir);
    engine.#lock = await DataDirLock.acquire({
      fs,
      dataDir: opts.dataDir,
      logger: opts.logger,
      pid: opts.pid ?? process.pid,
      isPidAlive: opts.isPidAlive ?? isPidAlive,
    });
    try {
      const { log, replay } = await CommitLog.open({
        dir: join(opts.dataDir, 'commitlog'),
        fs,
        logger: opts.logger,
        sync: opts.commitlogSync ?? 'batch',
        syncIntervalMs: opts.syncIntervalMs,
        segmentBytes: opts.segmentBytes,
        apply: engine.#applyWrite,
        onFatal: engine.#onFatal,
        now: engine.#now,
      });
      engine.#log = log;
      engine.#replay = replay;
    } catch (err) {
      await engine.#lock.release();
      throw err;
    }
    opts.logger.info(
      { segments: engine.#replay.segments, writes: engine.#replay.writes, keys: engine.#memtable.size },
      'commit log replayed',
    );
    return engine;
  }

  get status(): EngineStatus {
    return this.#status;
  }

  /** What recovery found at open. */
  get replayReport(): ReplayReport {
    return this.#replay;
  }

  /** The Reduce-d version set of a key, tombstones included; empty when the key is unknown. Do not mutate. */
  get(tenantId: string, key: string): readonly Version[] {
    this.#assertReadable();
    assertKey(tenantId, key);
    return this.#memtable.get(tenantId, key)?.versions ?? EMPTY;
  }

  /** The key's write-id memory (pairs younger than 24 h), sorted by write id. */
  recentWrites(tenantId: string, key: string): readonly WriteIdEntry[] {
    this.#assertReadable();
    assertKey(tenantId, key);
    const wids = this.#memtable.get(tenantId, key)?.wids ?? NO_WRITE_IDS;
    const floor = this.#now() - WRITE_ID_TTL_MS;
    return wids.every((e) => e.timestampMs >= floor) ? wids : wids.filter((e) => e.timestampMs >= floor);
  }

  /** Writes one version (§3 Write API). */
  write(tenantId: string, key: string, version: Version, opts: WriteOptions): Promise<WriteResult> {
    return this.writeVersions(tenantId, key, [version], opts);
  }

  /**
   * Writes versions of one key: `cur = get(key)`; a no-op (Reduce unchanged, no new write ids) is answered
   * DOMINATED without logging; a CLIENT write whose write id is remembered (or held by a stored version) is
   * DUPLICATE, not logged; a CLIENT write that would leave more than 64 versions fails SIBLING_LIMIT_EXCEEDED,
   * unlogged (internal purposes are never capped). Otherwise the new versions are logged, applied after the
   * fdatasync, and the result is APPLIED with the key's set after it.
   */
  writeVersions(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<WriteResult> {
    try {
      return this.#write(tenantId, key, versions, opts);
    } catch (err) {
      this.#rejected++;
      return Promise.reject(err);
    }
  }

  // Synchronous up to the log append, so every write of one event-loop turn joins one group commit.
  #write(tenantId: string, key: string, versions: readonly Version[], opts: WriteOptions): Promise<WriteResult> {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `storage engine is ${this.#status}`, { outcome: 'not_applied' });
    }
    assertKey(tenantId, key);
    if (versions.length === 0) throw new PairdbError('INVALID_REQUEST', 'a write needs at least one version');
    const client = opts.purpose === 'CLIENT';
    if (client && versions.length !== 1) throw new PairdbError('INVALID_REQUEST', 'a CLIENT write carries exactly one version');
    const deadlineMs = opts.deadlineMs ?? 0;
    const now = this.#now();
    if (deadlineMs > 0 && now >= deadlineMs) {
      throw new PairdbError('TIMEOUT', 'deadline passed before the write started', { outcome: 'not_applied' });
    }
    const entry = this.#memtable.get(tenantId, key);
    const cur = entry?.versions ?? EMPTY;
    const curWids = entry?.wids ?? NO_WRITE_IDS;

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
    const hint: MergeHint = { base: cur, next };
    const logged: PendingWrite[] = [];
    const toLog = added.length > 0 ? added : [versions[0]!];
    for (let i = 0; i < toLog.length; i++) {
      logged.push({ tenantId, key, version: toLog[i]!, wids: i === 0 ? wids : NO_WRITE_IDS, hint: i === 0 ? hint : undefined });
    }
    return this.#log.append(logged, deadlineMs).then(
      () => {
        this.#applied++;
        const outcome: WriteOutcome = changed ? 'APPLIED' : 'DOMINATED';
        return { outcome, current: this.#memtable.get(tenantId, key)?.versions ?? EMPTY };
      },
      (err: unknown) => {
        this.#rejected++;
        throw err;
      },
    );
  }

  stats(): EngineStats {
    const log = this.#log;
    return {
      keyCount: this.#memtable.liveKeys,
      tombstoneCount: this.#memtable.tombstoneKeys,
      memtableBytes: this.#memtable.bytes,
      commitlogBytes: log.bytes,
      segments: log.segments,
      writesApplied: this.#applied,
      writesNoop: this.#noop,
      writesRejected: this.#rejected,
      commitlogBatches: log.counters.batches,
      commitlogWrites: log.counters.writes,
      commitlogSyncs: log.counters.syncs,
    };
  }

  /** Entries in ckey order (tests, later: scans and flush). */
  entries(): Iterable<{ readonly tenantId: string; readonly key: string; readonly versions: readonly Version[] }> {
    return this.#memtable;
  }

  /** Drains in-flight writes to durability, closes the log and releases LOCK. Idempotent. */
  async close(): Promise<void> {
    if (this.#status === 'closed' || this.#status === 'closing') return;
    if (this.#status === 'open') this.#status = 'closing';
    try {
      await this.#log.close();
    } finally {
      await this.#lock.release();
      if (this.#status === 'closing') this.#status = 'closed';
    }
  }

  #assertReadable(): void {
    if (this.#status === 'closed') throw new PairdbError('SERVICE_UNAVAILABLE', 'storage engine is closed');
  }

  readonly #applyWrite = (w: LogWrite): void => {
    this.#memtable.merge(w.tenantId, w.key, [w.version], w.wids, this.#now(), (w as PendingWrite).hint);
  };

  readonly #onFatal = (err: Error): void => {
    this.#status = 'failed';
    this.#opts.onFatal?.(err);
  };
}
