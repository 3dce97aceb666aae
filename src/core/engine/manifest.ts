/**
 * The manifest and CURRENT (storage-engine.md §5, §13): the durable table set of one data directory.
 *
 * Files (in data_dir):
 *
 *   CURRENT                 "MANIFEST-<20 digits>\n" — which manifest is live; replaced only by publish (§0):
 *                           CURRENT.tmp written, fsynced, renamed over CURRENT, data_dir fsynced.
 *   MANIFEST-<20 digits>    header (24 B)
 *                             0  8  magic "pairDBmf"
 *                             8  4  format_version u32 = 1
 *                             12 8  file number u64 (= the name)
 *                             20 4  crc32 of bytes 0..19
 *                           then records framed exactly like commit-log records (commit-log-format.ts):
 *                             0  4  crc u32 of bytes 4 .. 9+length-1
 *                             4  4  length u32 (1 .. 32 MiB)
 *                             8  1  type u8: 0x01 SNAPSHOT (first record, exactly once), 0x02 EDIT
 *                             9  …  payload: UTF-8 JSON
 *                           SNAPSHOT {"next_file":n,"log_start":n,"tables":[TableMeta…],"fence_epoch":n}
 *                           EDIT     {"reason":"flush|compaction|move|quarantine|fence","remove":[{"file","level"}],
 *                                     "add":[TableMeta…],"log_start"?,"next_file"?,"fence_epoch"?}
 *                           TableMeta {"file","level","size","min_key":hex,"max_key":hex,"keys","tombstones",
 *                                      "oldest_tombstone_ts":ms|null}
 *
 * Commit point: an EDIT is committed once its record is appended and fdatasync-ed; nothing else commits a flush or
 * a compaction. Recovery: a bad record with no valid record after it is an uncommitted edit (truncated); a bad
 * record followed by a valid one is corruption (refuse). A bad header or a bad/missing SNAPSHOT is corruption too:
 * CURRENT never names a manifest before its SNAPSHOT is fsynced.
 *
 * Lifecycle: `Manifest.open()` (replay; creates a new database in an empty dir) → `listOrphans()` /
 * `raiseNextFile()` (startup step 4) → `rollover()` (step 6, and automatically past 4 MiB) → `commit(edit)`… →
 * `close()`. Any fsync error is fatal: `onFatal` is called once and every later call fails SERVICE_UNAVAILABLE.
 */
import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import { CorruptionError } from '../model/version-codec.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import { HEADER_SIZE, RECORD_HEADER_SIZE, parseSegmentFileName, readRecordAt } from './commit-log-format.js';
import { type FileSystem, errnoCode, readWholeFile, writeFully } from './file-system.js';
import {
  EMPTY_STATE,
  RECORD_EDIT,
  RECORD_SNAPSHOT,
  type ManifestEdit,
  type ManifestState,
  applyEdit,
  checkManifestHeader,
  currentFileContent,
  decodeEdit,
  decodeSnapshot,
  editToJson,
  encodeManifestHeader,
  encodeManifestRecord,
  manifestFileName,
  parseCurrentFile,
  parseManifestFileName,
  snapshotToJson,
} from './manifest-format.js';
import { type OrphanReport, findOrphans } from './manifest-orphans.js';

export const CURRENT_FILE = 'CURRENT';
export const CURRENT_TMP = 'CURRENT.tmp';
export const LOCK_FILE = 'LOCK';
/** Rollover threshold (§5: "past 4 MiB"). */
export const DEFAULT_ROLLOVER_BYTES = 4 * 1024 * 1024;

export interface ManifestOptions {
  readonly logger?: Logger;
  /** Called once when an fsync/fdatasync/fsyncDir fails (§0: fatal, exit 74); the manifest refuses everything after. */
  readonly onFatal?: (err: Error) => void;
  readonly rolloverBytes?: number;
  /**
   * A data dir written before manifests existed holds LOCK and commitlog/ segments but no CURRENT. When set, such
   * a dir is adopted instead of refused: the first manifest gets log_start = the lowest segment on disk (all of
   * them are replayed) and next_file above every segment number.
   */
  readonly adoptCommitLog?: boolean;
}

/** What `open` found. */
export interface ManifestRecovery {
  /** True when the directory held no database and a new one was created. */
  readonly created: boolean;
  readonly manifest: string;
  readonly records: number;
  /** Bytes of an uncommitted (torn) tail edit that were cut off. */
  readonly truncatedBytes: number;
}

/** The manifest or CURRENT cannot be trusted: CORRUPT_FILE naming the file and offset (refuse to start). */
export class ManifestCorruptionError extends PairdbError {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, what: string, hint?: string) {
    super('CORRUPT_FILE', `manifest corruption: ${file} offset ${offset} (${what})`, { hint });
    this.file = file;
    this.offset = offset;
  }
}

type ManifestStatus = 'open' | 'closed' | 'failed';

/** Files that may sit in a data dir that never had a CURRENT: the first start's own leftovers (see isFreshDir). */
function isFirstStartLeftover(name: string): boolean {
  return name === LOCK_FILE || name === CURRENT_TMP || parseManifestFileName(name) !== undefined;
}

export class Manifest {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #onFatal: (err: Error) => void;
  readonly #rolloverBytes: number;
  readonly #adoptCommitLog: boolean;

  #status: ManifestStatus = 'open';
  #state: ManifestState = EMPTY_STATE;
  /** Next number handed out by nextFileNumber(); ≥ #state.nextFile, persisted by the next record. */
  #allocated = 1;
  #number = 0;
  #fd = -1;
  #size = 0;
  /** Serialises commits and rollovers: one manifest write at a time. */
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, fs: FileSystem, opts: ManifestOptions) {
    this.#dir = dir;
    this.#fs = fs;
    this.#log = opts.logger ?? silentLogger();
    this.#onFatal = opts.onFatal ?? (() => undefined);
    this.#rolloverBytes = opts.rolloverBytes ?? DEFAULT_ROLLOVER_BYTES;
    this.#adoptCommitLog = opts.adoptCommitLog ?? false;
  }

  /**
   * Reads CURRENT and replays its manifest (startup steps 1–2; the caller holds LOCK). No CURRENT in a directory
   * that holds nothing else (LOCK, or a first start's CURRENT.tmp/MANIFEST leftovers) → a new database: a first
   * manifest is written and CURRENT published before this returns. No CURRENT beside other files → refuse.
   * Throws ManifestCorruptionError (CORRUPT_FILE) when the manifest cannot be trusted.
   */
  static async open(dataDir: string, fs: FileSystem, opts: ManifestOptions = {}): Promise<{ manifest: Manifest; recovery: ManifestRecovery }> {
    const m = new Manifest(dataDir, fs, opts);
    const recovery = await m.#open();
    return { manifest: m, recovery };
  }

  /** The committed state (immutable; a new object after every commit). */
  get state(): ManifestState {
    return this.#state;
  }

  /** The live manifest's file number and name. */
  get fileNumber(): number {
    return this.#number;
  }

  get fileName(): string {
    return manifestFileName(this.#number);
  }

  /** Bytes in the live manifest file. */
  get size(): number {
    return this.#size;
  }

  /**
   * Hands out the next file number (segments, tables, manifests). In memory only: the next EDIT or SNAPSHOT
   * persists it, and startup raises next_file above every number found on disk (§5 step 4), so a crash never
   * reuses a number that reached the disk.
   */
  nextFileNumber(): number {
    this.#assertUsable();
    return this.#allocated++;
  }

  /** Startup step 4: next_file = max(manifest value, `n`) (pass the highest number on disk + 1). */
  raiseNextFile(n: number): void {
    if (n > this.#allocated) this.#allocated = n;
  }

  /**
   * Startup step 4: the files to delete (paths relative to data_dir) and the highest file number on disk. Only
   * lists; the caller deletes, after opening the tables.
   */
  listOrphans(): Promise<OrphanReport> {
    return findOrphans(this.#dir, this.#fs, this.#state, this.#number);
  }

  /**
   * Appends `edit` and fdatasyncs it — the commit point. Resolves with the new state once durable; the in-memory
   * state changes only then. `next_file` is added from the allocator when the edit does not carry one. An edit
   * inconsistent with the state (removing an absent table, a shrinking counter, …) is refused with INTERNAL_ERROR
   * before anything is written. ENOSPC: the partial record is cut off, DISK_FULL (not committed). An fsync error
   * is fatal: onFatal, SERVICE_UNAVAILABLE with outcome unknown.
   */
  commit(edit: ManifestEdit): Promise<ManifestState> {
    return this.#serial(async () => {
      this.#assertUsable();
      const full: ManifestEdit = { ...edit, nextFile: Math.max(edit.nextFile ?? 0, this.#allocated) };
      const next = applyEdit(this.#state, full, (m) => new PairdbError('INTERNAL_ERROR', `refused manifest edit: ${m}`));
      const rec = encodeManifestRecord(RECORD_EDIT, editToJson(full));
      const at = this.#size;
      try {
        await writeFully(this.#fs, this.#fd, rec, 0, rec.length, at);
      } catch (err) {
        await this.#truncateBack(at, err as Error);
        throw new PairdbError(errnoCode(err) === 'ENOSPC' ? 'DISK_FULL' : 'SERVICE_UNAVAILABLE', `manifest write failed: ${(err as Error).message}`, {
          outcome: 'not_applied',
          cause: err,
        });
      }
      try {
        await this.#fs.fdatasync(this.#fd);
      } catch (err) {
        throw this.#fatal(err as Error, 'fdatasync of a manifest edit failed');
      }
      this.#size = at + rec.length;
      this.#state = next;
      this.#allocated = Math.max(this.#allocated, next.nextFile);
      if (this.#size > this.#rolloverBytes) {
        try {
          await this.#rollover();
        } catch (err) {
          // The edit is committed either way; a non-fatal rollover failure (ENOSPC) is retried after the next commit.
          if (this.#status === 'open') this.#log.warn({ err }, 'manifest rollover failed; keeping the current manifest');
        }
      }
      return next;
    });
  }

  /**
   * Writes MANIFEST-<new n> holding one SNAPSHOT of the state, fsyncs it, publishes CURRENT through CURRENT.tmp and
   * unlinks the old manifest. A failure before CURRENT is renamed leaves the old manifest live (the new files are
   * removed, best effort); an fsync failure is fatal.
   */
  rollover(): Promise<void> {
    return this.#serial(() => {
      this.#assertUsable();
      return this.#rollover();
    });
  }

  /** Closes the live manifest file. Idempotent; later calls other than close fail SERVICE_UNAVAILABLE. */
  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    if (this.#status === 'open') this.#status = 'closed';
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      await this.#fs.close(fd).catch(() => undefined);
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn, fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #assertUsable(): void {
    if (this.#status !== 'open') {
      throw new PairdbError('SERVICE_UNAVAILABLE', `manifest is ${this.#status}`, { outcome: 'not_applied' });
    }
  }

  #fatal(err: Error, what: string): PairdbError {
    const first = this.#status !== 'failed';
    this.#status = 'failed';
    if (first) {
      this.#log.fatal({ err, manifest: this.fileName }, `${what}; refusing further manifest changes`);
      this.#onFatal(err);
    }
    return new PairdbError('SERVICE_UNAVAILABLE', `${what}: ${err.message}`, { outcome: 'unknown', cause: err });
  }

  /** Cuts a partial append off so the tail stays a record boundary; if that fails the manifest is unusable. */
  async #truncateBack(length: number, cause: Error): Promise<void> {
    try {
      await this.#fs.truncate(this.#fd, length);
      await this.#fs.fdatasync(this.#fd);
    } catch (err) {
      throw this.#fatal(err as Error, `could not cut a failed manifest append (${cause.message})`);
    }
  }

  async #open(): Promise<ManifestRecovery> {
    const fs = this.#fs;
    const dir = this.#dir;
    await fs.mkdir(dir);
    let current: Buffer | undefined;
    try {
      current = await readWholeFile(fs, join(dir, CURRENT_FILE));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    if (current === undefined) {
      const segments = this.#adoptCommitLog ? await this.#legacySegments() : [];
      await this.#assertFreshDir(segments.length > 0);
      // Number 1 is free: a fresh dir holds at most first-start leftovers, which the next listOrphans() reports.
      const leftovers = (await fs.readdir(dir)).map(parseManifestFileName).filter((n): n is number => n !== undefined);
      this.#allocated = Math.max(1, ...leftovers.map((n) => n + 1), ...segments.map((n) => n + 1));
      if (segments.length > 0) this.#state = Object.freeze({ ...EMPTY_STATE, logStart: Math.min(...segments) });
      await this.#rollover();
      if (segments.length > 0) {
        this.#log.info({ manifest: this.fileName, segments: segments.length, log_start: this.#state.logStart }, 'adopted a data directory without a manifest');
      } else {
        this.#log.info({ manifest: this.fileName }, 'created a new database');
      }
      return { created: segments.length === 0, manifest: this.fileName, records: 1, truncatedBytes: 0 };
    }
    const n = parseCurrentFile(current);
    if (n === undefined) throw new ManifestCorruptionError(CURRENT_FILE, 0, 'content is not "MANIFEST-<20 digits>\\n"');
    const name = manifestFileName(n);
    const path = join(dir, name);
    let buf: Buffer;
    try {
      buf = await readWholeFile(fs, path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new ManifestCorruptionError(name, 0, 'named by CURRENT but missing');
      throw err;
    }
    const bad = checkManifestHeader(buf, n);
    if (bad) throw new ManifestCorruptionError(name, 0, bad);
    let state: ManifestState | undefined;
    let records = 0;
    let off = HEADER_SIZE;
    let end = buf.length;
    while (off < buf.length) {
      const rec = readRecordAt(buf, off);
      if (!rec) {
        // A valid record after a bad one proves the bad one was once complete (edits are appended one at a time,
        // each fdatasynced before the next): corruption. Otherwise it is the uncommitted tail edit.
        for (let y = off + 1; y + RECORD_HEADER_SIZE <= buf.length; y++) {
          if (readRecordAt(buf, y)) throw new ManifestCorruptionError(name, off, `bad record followed by a valid one at offset ${y}`);
        }
        end = off;
        break;
      }
      const payload = buf.subarray(off + RECORD_HEADER_SIZE, rec.end);
      try {
        if (records === 0) {
          if (rec.type !== RECORD_SNAPSHOT) throw new CorruptionError('first record is not a SNAPSHOT');
          state = decodeSnapshot(payload);
        } else {
          if (rec.type !== RECORD_EDIT) throw new CorruptionError('SNAPSHOT after the first record');
          state = applyEdit(state!, decodeEdit(payload), (m) => new CorruptionError(m));
        }
      } catch (err) {
        if (err instanceof CorruptionError) throw new ManifestCorruptionError(name, off, err.message);
        throw err;
      }
      records++;
      off = rec.end;
    }
    if (state === undefined) throw new ManifestCorruptionError(name, HEADER_SIZE, 'no SNAPSHOT record');
    const fd = await fs.open(path, 'r+');
    this.#fd = fd;
    this.#number = n;
    if (end < buf.length) {
      try {
        await fs.truncate(fd, end);
      } catch (err) {
        await this.close();
        throw err;
      }
      try {
        await fs.fsync(fd);
      } catch (err) {
        throw this.#fatal(err as Error, 'fsync after cutting the manifest tail failed');
      }
      this.#log.warn({ manifest: name, offset: end, dropped_bytes: buf.length - end }, 'dropped an uncommitted manifest edit (torn tail)');
    }
    this.#number = n;
    this.#size = end;
    this.#state = state;
    this.#allocated = Math.max(state.nextFile, n + 1);
    return { created: false, manifest: name, records, truncatedBytes: buf.length - end };
  }

  /** No CURRENT: only an empty directory (plus LOCK and a first start's leftovers) may become a new database. */
  async #assertFreshDir(allowCommitLog = false): Promise<void> {
    const fs = this.#fs;
    for (const name of await fs.readdir(this.#dir)) {
      if (isFirstStartLeftover(name)) continue;
      if (allowCommitLog && name === 'commitlog') continue;
      const path = join(this.#dir, name);
      const st = await fs.stat(path);
      // Empty subdirectories (commitlog/, sst/ made by an earlier first start) hold nothing to lose.
      if (st.isDirectory && (await fs.readdir(path)).length === 0) continue;
      throw new ManifestCorruptionError(CURRENT_FILE, 0, `missing, but the data directory is not empty (found ${name})`, 'refusing to start a new database over existing files; restore CURRENT or use an empty --data-dir');
    }
  }

  /** Segment numbers in commitlog/ (pre-manifest data dirs). */
  async #legacySegments(): Promise<number[]> {
    try {
      return (await this.#fs.readdir(join(this.#dir, 'commitlog'))).map(parseSegmentFileName).filter((n): n is number => n !== undefined);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
  }

  async #rollover(): Promise<void> {
    const fs = this.#fs;
    const dir = this.#dir;
    const n = this.#allocated++;
    const snapshot: ManifestState = { ...this.#state, nextFile: this.#allocated };
    const header = encodeManifestHeader(n);
    const rec = encodeManifestRecord(RECORD_SNAPSHOT, snapshotToJson(snapshot));
    const name = manifestFileName(n);
    const path = join(dir, name);
    const tmp = join(dir, CURRENT_TMP);
    let fd = -1;
    let published = false;
    try {
      fd = await fs.open(path, 'wx');
      const bytes = Buffer.concat([header, rec]);
      await writeFully(fs, fd, bytes, 0, bytes.length, 0);
      await this.#sync(() => fs.fsync(fd), 'fsync of a new manifest failed');
      const content = Buffer.from(currentFileContent(n), 'latin1');
      const tfd = await fs.open(tmp, 'w');
      try {
        await writeFully(fs, tfd, content, 0, content.length, 0);
        await this.#sync(() => fs.fsync(tfd), 'fsync of CURRENT.tmp failed');
      } finally {
        await fs.close(tfd).catch(() => undefined);
      }
      await fs.rename(tmp, join(dir, CURRENT_FILE));
      published = true;
      // Makes both the new manifest's entry and CURRENT's rename durable (same directory).
      await this.#sync(() => fs.fsyncDir(dir), 'fsync of the data directory failed');
    } catch (err) {
      if (fd >= 0) await fs.close(fd).catch(() => undefined);
      // After a fatal error the files stay for the next start to judge (orphans or the live manifest).
      if (!published && this.#status === 'open') {
        await fs.unlink(path).catch(() => undefined);
        await fs.unlink(tmp).catch(() => undefined);
      }
      throw err;
    }
    const oldFd = this.#fd;
    const oldNumber = this.#number;
    this.#fd = fd;
    this.#number = n;
    this.#size = header.length + rec.length;
    this.#state = Object.freeze(snapshot);
    if (oldFd >= 0) {
      await fs.close(oldFd).catch(() => undefined);
      // A failed unlink only leaves an orphan for the next start (step 4).
      await fs.unlink(join(dir, manifestFileName(oldNumber))).catch((err: unknown) =>
        this.#log.warn({ err, manifest: manifestFileName(oldNumber) }, 'could not unlink the old manifest'),
      );
    }
  }

  async #sync(fn: () => Promise<void>, what: string): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw this.#fatal(err as Error, what);
    }
  }
}

export type { ManifestEdit, ManifestState, TableMeta, TableRef, EditReason } from './manifest-format.js';
export type { OrphanReport } from './manifest-orphans.js';
