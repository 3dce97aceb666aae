import { dirname, join } from 'node:path';
import { PairdbError } from '../errors.js';
import { CorruptionError, encodedVersionSize, varintSize, writeVarint, writeVersion } from '../model/version-codec.js';
import type { Logger } from '../observability/logger.js';
import {
  HEADER_SIZE,
  MAX_RECORD_PAYLOAD,
  RECORD_BATCH,
  RECORD_HEADER_SIZE,
  RECORD_ROTATE,
  ROTATE_RECORD_SIZE,
  type LogWrite,
  checkSegmentHeader,
  decodeBatchPayload,
  decodeRotatePayload,
  durableMarkOf,
  encodeRotateRecord,
  encodeSegmentHeader,
  parseSegmentFileName,
  readRecordAt,
  sealRecord,
  segmentFileName,
  writeU64,
} from './commit-log-format.js';
import { type FileSystem, SyncFailedError, errnoCode, readWholeFile, writeFully, writeFullySync } from './file-system.js';
import { writeIdsSize, writeWriteIds } from './write-ids.js';

export type CommitLogSync = 'batch' | 'periodic';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
/** Periodic mode writes batches up to this size synchronously (see #writeBatch). */
const SYNC_WRITE_MAX_BYTES = 256 * 1024;
/** Longest run of synchronous batches before the loop gives the event loop a turn. */
const SYNC_WRITE_TURN_MS = 2;
export const DEFAULT_SYNC_INTERVAL_MS = 1000;

export interface CommitLogOptions {
  /** The `commitlog/` directory. */
  readonly dir: string;
  readonly fs: FileSystem;
  readonly logger: Logger;
  readonly sync?: CommitLogSync;
  readonly syncIntervalMs?: number;
  readonly segmentBytes?: number;
  readonly batchBytes?: number;
  /**
   * Applies one durable write (to the memtable), in log order: during replay, and after each batch's fdatasync
   * (periodic mode: its write) before the batch's promises resolve.
   */
  readonly apply: (w: LogWrite) => void;
  /** Called once when an fsync/fdatasync (or an unrecoverable write) fails; the log accepts nothing after it. */
  readonly onFatal: (err: Error) => void;
  readonly now?: () => number;
  /**
   * Hands out the number of every new segment (the manifest's shared next_file counter, §5). Default: the
   * previous segment + 1 (standalone logs, tests).
   */
  readonly allocateSegment?: () => number;
  /**
   * The manifest's log_start (§5). A log with nothing to replay (none left, or only a segment torn at creation, which
   * recovery deletes) starts again at this number, so the segment log_start names exists after every open; a new
   * number would leave log_start pointing at a missing segment below a live one, which the next open reads as a lost
   * manifest edit. 0 / absent: allocate a new number.
   */
  readonly logStart?: number;
  /** Metrics hooks (storage-engine.md §9 commitlog_sync_duration_seconds, commitlog_batch_writes); default none. */
  readonly observer?: CommitLogObserver;
}

export interface CommitLogObserver {
  /** One fdatasync of the active segment (batch or periodic) took `seconds`. */
  commitlogSync(seconds: number): void;
  /** One batch with `writes` writes was written. */
  commitlogBatch(writes: number): void;
}

export interface ReplayReport {
  readonly segments: number;
  readonly records: number;
  readonly writes: number;
  /** Bytes cut from the newest segment's tail (torn or unsynced out-of-order). */
  readonly truncatedBytes: number;
}

interface Job {
  readonly writes: readonly LogWrite[];
  /** Per write: ckey length, version length, entry length. */
  readonly sizes: number[];
  readonly bytes: number;
  readonly deadlineMs: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

type State = 'open' | 'closing' | 'closed' | 'failed';

/** A memtable switch requested with switchSegment(), run by the loop at the next batch boundary. */
interface Switch {
  readonly onSwitch: () => void;
  readonly resolve: (segment: number | undefined) => void;
}

class DiskFull extends Error {}

/** The log cannot be trusted (§2 recovery): CORRUPT_FILE naming the segment file and the bad offset. */
export class CommitLogCorruptionError extends PairdbError {
  readonly segment: string;
  readonly offset: number;

  constructor(segment: string, offset: number, what: string) {
    super('CORRUPT_FILE', `commitlog corruption: segment ${segment} offset ${offset} (${what})`);
    this.segment = segment;
    this.offset = offset;
  }
}

function corrupt(name: string, offset: number, what: string): CommitLogCorruptionError {
  return new CommitLogCorruptionError(name, offset, what);
}

/**
 * The commit log (storage-engine.md §2): segments of CRC'd records, group commit, rotation and recovery.
 *
 * Group commit (`batch`): appends queue up; one loop takes whatever is queued (≤ batchBytes, at least one job),
 * encodes it into one buffer, issues one positional write and one fdatasync, applies the writes, then resolves their
 * promises — an ack never precedes the fdatasync covering it. Appends made while a sync is in flight form the next
 * batch; the loop is started by a microtask, never a timer, so every append of one event-loop turn (one pipe
 * message) joins one batch.
 */
export class CommitLog {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #mode: CommitLogSync;
  readonly #interval: number;
  readonly #segmentBytes: number;
  readonly #batchBytes: number;
  readonly #apply: (w: LogWrite) => void;
  readonly #onFatal: (err: Error) => void;
  readonly #now: () => number;
  readonly #allocate: (() => number) | undefined;
  readonly #logStart: number;
  readonly #observer: CommitLogObserver | undefined;

  #state: State = 'open';
  #switches: Switch[] = [];
  #fd = -1;
  #segment = 0;
  #offset = HEADER_SIZE;
  /** Offset of the current segment known to be fsynced. */
  #durableMark = HEADER_SIZE;
  #olderBytes = 0;
  #segmentCount = 0;

  #queue: Job[] = [];
  /** The last batch was written synchronously (periodic mode), and when the loop last gave the event loop a turn. */
  #syncWrites = false;
  #turnStart = 0;
  /** Bytes of the jobs in #queue (not yet taken into a batch): the engine's write-queue bound (§3). */
  #queuedBytes = 0;
  #running = false;
  #scheduled = false;
  #idle: Array<() => void> = [];
  #buf = Buffer.allocUnsafe(64 * 1024);
  readonly #recStarts: number[] = [];
  readonly #recLengths: number[] = [];
  readonly #recCounts: number[] = [];

  #timer: NodeJS.Timeout | undefined;
  #syncInFlight: Promise<void> | undefined;
  #syncStartedAt = 0;

  /** Counters for metrics and tests. */
  readonly counters = { batches: 0, writes: 0, bytes: 0, syncs: 0, enospcTruncations: 0 };

  private constructor(opts: CommitLogOptions) {
    this.#fs = opts.fs;
    this.#dir = opts.dir;
    this.#log = opts.logger;
    this.#mode = opts.sync ?? 'batch';
    this.#interval = opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.#segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.#apply = opts.apply;
    this.#onFatal = opts.onFatal;
    this.#now = opts.now ?? Date.now;
    this.#allocate = opts.allocateSegment;
    this.#logStart = opts.logStart ?? 0;
    this.#observer = opts.observer;
  }

  #nextSegmentNumber(): number {
    return this.#allocate ? this.#allocate() : this.#segment + 1;
  }

  /**
   * Replays every segment into `opts.apply` (recovery per §2), closes the last one with a ROTATE and opens a new
   * segment. Throws PairdbError CORRUPT_FILE naming the segment and offset when the log cannot be trusted.
   */
  static async open(opts: CommitLogOptions): Promise<{ log: CommitLog; replay: ReplayReport }> {
    const log = new CommitLog(opts);
    const replay = await log.#recover();
    return { log, replay };
  }

  get segments(): number {
    return this.#segmentCount;
  }

  /** Bytes in all segments, including the active one. */
  get bytes(): number {
    return this.#olderBytes + this.#offset;
  }

  /** Encoded bytes of appended writes not yet taken into a batch. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get currentSegment(): number {
    return this.#segment;
  }

  get mode(): CommitLogSync {
    return this.#mode;
  }

  /**
   * Logs `writes` (in one batch) and resolves once they are durable (`batch`) or written (`periodic`), after they
   * were applied. Rejects with TIMEOUT (not applied) when `deadlineMs` passes before the batch is taken,
   * DISK_FULL on ENOSPC, SERVICE_UNAVAILABLE when the log is closed or failed.
   */
  append(writes: readonly LogWrite[], deadlineMs = 0): Promise<void> {
    if (this.#state !== 'open') {
      return Promise.reject(
        new PairdbError('SERVICE_UNAVAILABLE', `commit log is ${this.#state}`, { outcome: 'not_applied' }),
      );
    }
    const sizes: number[] = new Array(writes.length * 3);
    let bytes = 0;
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i]!;
      const ckl = Buffer.byteLength(w.tenantId, 'utf8') + 1 + Buffer.byteLength(w.key, 'utf8');
      const vs = encodedVersionSize(w.version);
      const es = varintSize(ckl) + ckl + varintSize(vs) + vs + writeIdsSize(w.wids);
      sizes[i * 3] = ckl;
      sizes[i * 3 + 1] = vs;
      sizes[i * 3 + 2] = es;
      bytes += es;
    }
    const job: Job = { writes, sizes, bytes, deadlineMs, resolve: noop, reject: noop };
    const p = new Promise<void>((resolve, reject) => {
      job.resolve = resolve;
      job.reject = reject;
    });
    this.#queue.push(job);
    this.#queuedBytes += bytes;
    if (!this.#running && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#kick);
    }
    return p;
  }

  /**
   * Memtable switch (§3): at the next batch boundary — every batch taken so far written and applied, no later one
   * written yet — calls `onSwitch` synchronously (the engine swaps memtables there), then rotates to a new segment.
   * Resolves with the new segment's number (the flush's log_start: every write applied after onSwitch lives in
   * it or later), or undefined when the rotation failed without being fatal (ENOSPC: the writes stay in the
   * current segment, so no segment may be trimmed for this switch). Never rejects.
   */
  switchSegment(onSwitch: () => void): Promise<number | undefined> {
    return new Promise((resolve) => {
      if (this.#state === 'failed' || this.#state === 'closed') {
        onSwitch();
        resolve(undefined);
        return;
      }
      this.#switches.push({ onSwitch, resolve });
      if (!this.#running && !this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#kick);
      }
    });
  }

  /**
   * Unlinks every segment numbered below `n` (the manifest's log_start, once the edit raising it is durable, §2
   * deletion) and fsyncs the directory. Never the active segment. Returns how many were removed.
   */
  async dropSegmentsBelow(n: number): Promise<number> {
    const names = await this.#fs.readdir(this.#dir);
    let removed = 0;
    for (const name of names) {
      const s = parseSegmentFileName(name);
      if (s === undefined || s >= n || s === this.#segment) continue;
      const path = join(this.#dir, name);
      let size = 0;
      try {
        size = (await this.#fs.stat(path)).size;
        await this.#fs.unlink(path);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      removed++;
      this.#olderBytes = Math.max(0, this.#olderBytes - size);
      this.#segmentCount = Math.max(1, this.#segmentCount - 1);
    }
    if (removed > 0) {
      try {
        await this.#fs.fsyncDir(this.#dir);
      } catch (err) {
        // §0: a failed directory fsync is fatal like any other sync.
        throw this.#fatal(new SyncFailedError(`fsync of directory ${this.#dir}`, err), []);
      }
    }
    return removed;
  }

  /** Drains queued writes, syncs (periodic mode), closes the segment. Appends after this fail. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#state = 'closing';
    await this.#waitIdle();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#syncInFlight) await this.#syncInFlight;
    if (this.#state === 'closing' && this.#mode === 'periodic' && this.#durableMark < this.#offset) {
      try {
        await this.#fs.fdatasync(this.#fd);
        this.#durableMark = this.#offset;
      } catch (err) {
        this.#fatal(err as Error, []);
      }
    }
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      await this.#fs.close(fd).catch(() => undefined);
    }
    if (this.#state !== 'failed') this.#state = 'closed';
  }

  #waitIdle(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0 && this.#switches.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  readonly #kick = (): void => {
    this.#scheduled = false;
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  };

  async #loop(): Promise<void> {
    try {
      while ((this.#queue.length > 0 || this.#switches.length > 0) && this.#state !== 'failed') {
        if (this.#switches.length > 0) {
          await this.#switch(this.#switches.shift()!);
          continue;
        }
        if (this.#syncInFlight && this.#now() - this.#syncStartedAt > 2 * this.#interval) {
          // Periodic mode: a sync unfinished after 2 × interval holds appends (bounded loss window, §2).
          await this.#syncInFlight;
          continue;
        }
        const jobs = this.#take();
        if (jobs.length > 0) await this.#writeBatch(jobs);
        if (this.#syncWrites && performance.now() - this.#turnStart > SYNC_WRITE_TURN_MS) {
          // Writers resumed by synchronous batches append again in microtasks: without a turn now and then, the event
          // loop (timers, I/O, other clients) would never run while they keep writing.
          await new Promise((r) => setImmediate(r));
          this.#turnStart = performance.now();
        }
        this.#syncWrites = false;
      }
    } catch (err) {
      this.#fatal(err as Error, []);
    } finally {
      // A failed log still owes the engine its switch callbacks (the flush of what is already applied).
      for (const sw of this.#switches.splice(0)) {
        sw.onSwitch();
        sw.resolve(undefined);
      }
      this.#running = false;
      const idle = this.#idle;
      this.#idle = [];
      for (const f of idle) f();
    }
  }

  async #switch(sw: Switch): Promise<void> {
    sw.onSwitch();
    try {
      await this.#rotate();
    } catch (err) {
      if (err instanceof DiskFull) {
        this.#log.error({ segment: this.#segment }, 'commit log rotation for a memtable switch failed: no space left on device');
        sw.resolve(undefined);
        return;
      }
      sw.resolve(undefined);
      throw this.#fatal(err as Error, []);
    }
    sw.resolve(this.#segment);
  }

  /** Takes queued jobs up to batchBytes (at least one), failing those whose deadline passed. */
  #take(): Job[] {
    const now = this.#now();
    const q = this.#queue;
    let n = 0;
    let bytes = 0;
    const jobs: Job[] = [];
    while (n < q.length) {
      const job = q[n]!;
      if (jobs.length > 0 && bytes + job.bytes > this.#batchBytes) break;
      n++;
      if (job.deadlineMs > 0 && now >= job.deadlineMs) {
        job.reject(new PairdbError('TIMEOUT', 'deadline passed before the write was logged', { outcome: 'not_applied' }));
        continue;
      }
      jobs.push(job);
      bytes += job.bytes;
    }
    this.#queue = n === q.length ? [] : q.slice(n);
    for (let i = 0; i < n; i++) this.#queuedBytes -= q[i]!.bytes;
    return jobs;
  }

  async #writeBatch(jobs: Job[]): Promise<void> {
    const total = this.#encode(jobs);
    if (this.#offset + total > this.#segmentBytes && this.#offset > HEADER_SIZE) {
      try {
        await this.#rotate();
      } catch (err) {
        if (err instanceof DiskFull) return this.#rejectDiskFull(jobs);
        throw this.#fatal(err as Error, jobs);
      }
    }
    this.#sealBatch(this.#durableMark);
    const fd = this.#fd;
    const at = this.#offset;
    try {
      // Periodic mode acks once `write` returns (§2): a small batch is written synchronously (a page-cache copy of a
      // few KiB, cheaper than the thread-pool hop of an async write); #loop yields to the event loop between such
      // batches so timers (the periodic fsync) and I/O still run.
      const fsys = this.#fs;
      if (this.#mode === 'periodic' && fsys.writeSync && total <= SYNC_WRITE_MAX_BYTES) {
        writeFullySync(fsys as Required<Pick<FileSystem, 'writeSync'>>, fd, this.#buf, 0, total, at);
        this.#syncWrites = true;
      } else {
        await writeFully(fsys, fd, this.#buf, 0, total, at);
      }
    } catch (err) {
      if (errnoCode(err) === 'ENOSPC') {
        await this.#truncateBack(fd, at, jobs);
        return this.#rejectDiskFull(jobs);
      }
      throw this.#fatal(err as Error, jobs);
    }
    if (this.#mode === 'batch') {
      const t0 = this.#observer ? performance.now() : 0;
      try {
        await this.#fs.fdatasync(fd);
      } catch (err) {
        throw this.#fatal(err as Error, jobs);
      }
      this.#observer?.commitlogSync((performance.now() - t0) / 1000);
      this.counters.syncs++;
      this.#offset = at + total;
      this.#durableMark = this.#offset;
    } else {
      this.#offset = at + total;
    }
    this.counters.batches++;
    this.counters.bytes += total;
    if (this.#observer) {
      let n = 0;
      for (const job of jobs) n += job.writes.length;
      this.#observer.commitlogBatch(n);
    }
    for (const job of jobs) {
      this.counters.writes += job.writes.length;
      try {
        for (const w of job.writes) this.#apply(w);
        job.resolve();
      } catch (err) {
        job.reject(PairdbError.from(err));
      }
    }
  }

  /**
   * Encodes the jobs into this.#buf as one or more BATCH records (a record's payload is ≤ 32 MiB; a batch is
   * ≤ batchBytes unless one job alone is larger). durable_mark and CRCs are filled by #sealBatch once the target
   * segment is known. Returns the total byte length.
   */
  #encode(jobs: Job[]): number {
    const counts = this.#recCounts;
    counts.length = 0;
    let total = 0;
    let count = 0;
    let payload = 8;
    for (const job of jobs) {
      for (let i = 0; i < job.writes.length; i++) {
        const es = job.sizes[i * 3 + 2]!;
        if (count > 0 && payload + es + varintSize(count + 1) > MAX_RECORD_PAYLOAD) {
          total += RECORD_HEADER_SIZE + payload + varintSize(count);
          counts.push(count);
          count = 0;
          payload = 8;
        }
        count++;
        payload += es;
      }
    }
    total += RECORD_HEADER_SIZE + payload + varintSize(count);
    counts.push(count);
    if (this.#buf.length < total) {
      let size = this.#buf.length;
      while (size < total) size *= 2;
      this.#buf = Buffer.allocUnsafe(size);
    }
    const buf = this.#buf;
    const starts = this.#recStarts;
    const lengths = this.#recLengths;
    starts.length = 0;
    lengths.length = 0;
    let r = 0;
    let left = counts[0]!;
    let start = 0;
    let off = writeVarint(buf, RECORD_HEADER_SIZE + 8, left);
    starts.push(0);
    for (const job of jobs) {
      for (let i = 0; i < job.writes.length; i++) {
        if (left === 0) {
          lengths.push(off - start - RECORD_HEADER_SIZE);
          start = off;
          left = counts[++r]!;
          starts.push(start);
          off = writeVarint(buf, start + RECORD_HEADER_SIZE + 8, left);
        }
        const w = job.writes[i]!;
        off = writeVarint(buf, off, job.sizes[i * 3]!);
        off += buf.write(w.tenantId, off, 'utf8');
        buf[off++] = 0;
        off += buf.write(w.key, off, 'utf8');
        off = writeVarint(buf, off, job.sizes[i * 3 + 1]!);
        off = writeVersion(buf, off, w.version);
        off = writeWriteIds(buf, off, w.wids);
        left--;
      }
    }
    lengths.push(off - start - RECORD_HEADER_SIZE);
    if (off !== total) throw new Error(`commit log encoder size mismatch: ${off} != ${total}`);
    return total;
  }

  #sealBatch(mark: number): void {
    for (let i = 0; i < this.#recStarts.length; i++) {
      const s = this.#recStarts[i]!;
      writeU64(this.#buf, s + RECORD_HEADER_SIZE, mark);
      sealRecord(this.#buf, s, RECORD_BATCH, this.#recLengths[i]!);
    }
  }

  /** ENOSPC: cut the partial write off (and make the cut durable) so the tail stays a valid record boundary. */
  async #truncateBack(fd: number, length: number, jobs: Job[]): Promise<void> {
    try {
      await this.#fs.truncate(fd, length);
      await this.#fs.fdatasync(fd);
    } catch (err) {
      throw this.#fatal(err as Error, jobs);
    }
    this.counters.enospcTruncations++;
  }

  #rejectDiskFull(jobs: Job[]): void {
    this.#log.error({ segment: this.#segment }, 'commit log write failed: no space left on device (ENOSPC)');
    for (const job of jobs) {
      job.reject(new PairdbError('DISK_FULL', 'no space left on the storage node', { outcome: 'not_applied' }));
    }
  }

  /**
   * Rotation (§2): ROTATE record, fdatasync, the next segment with its header, fdatasync, fsyncDir — no write in
   * the new segment is acked before its directory entry is durable. Periodic mode syncs first, so a valid ROTATE
   * always proves everything before it durable (recovery relies on this).
   */
  async #rotate(): Promise<void> {
    if (this.#syncInFlight) await this.#syncInFlight;
    const fs = this.#fs;
    const oldFd = this.#fd;
    const at = this.#offset;
    const next = this.#nextSegmentNumber();
    if (this.#mode === 'periodic' && this.#durableMark < at) await fs.fdatasync(oldFd);
    try {
      await writeFully(fs, oldFd, encodeRotateRecord(next), 0, ROTATE_RECORD_SIZE, at);
    } catch (err) {
      if (errnoCode(err) !== 'ENOSPC') throw err;
      await this.#truncateBack(oldFd, at, []);
      throw new DiskFull();
    }
    await fs.fdatasync(oldFd);
    let newFd: number;
    try {
      newFd = await this.#createSegment(next);
    } catch (err) {
      if (errnoCode(err) !== 'ENOSPC') throw err;
      // Undo the ROTATE so the chain stays consistent with the segments on disk.
      await this.#truncateBack(oldFd, at, []);
      throw new DiskFull();
    }
    await fs.close(oldFd).catch(() => undefined);
    this.#olderBytes += at + ROTATE_RECORD_SIZE;
    this.#segmentCount++;
    this.#fd = newFd;
    this.#segment = next;
    this.#offset = HEADER_SIZE;
    this.#durableMark = HEADER_SIZE;
  }

  /** Creates segment `n` with its header, durable file and directory entry; ENOSPC leaves no file behind. */
  async #createSegment(n: number): Promise<number> {
    const fs = this.#fs;
    const path = join(this.#dir, segmentFileName(n));
    const fd = await fs.open(path, 'wx');
    try {
      await writeFully(fs, fd, encodeSegmentHeader(n), 0, HEADER_SIZE, 0);
    } catch (err) {
      await fs.close(fd).catch(() => undefined);
      if (errnoCode(err) === 'ENOSPC') {
        await fs.unlink(path).catch(() => undefined);
        await fs.fsyncDir(this.#dir);
      }
      throw err;
    }
    await fs.fdatasync(fd);
    await fs.fsyncDir(this.#dir);
    return fd;
  }

  readonly #periodicSync = (): void => {
    if (this.#syncInFlight || this.#state !== 'open' || this.#durableMark >= this.#offset) return;
    const fd = this.#fd;
    const upTo = this.#offset;
    const segment = this.#segment;
    this.#syncStartedAt = this.#now();
    const t0 = this.#observer ? performance.now() : 0;
    this.#syncInFlight = this.#fs.fdatasync(fd).then(
      () => {
        this.#observer?.commitlogSync((performance.now() - t0) / 1000);
        this.counters.syncs++;
        if (this.#segment === segment && upTo > this.#durableMark) this.#durableMark = upTo;
        this.#syncInFlight = undefined;
      },
      (err: Error) => {
        this.#syncInFlight = undefined;
        this.#fatal(err, []);
      },
    );
  };

  /**
   * An fsync/fdatasync error is fatal (§0): stop accepting, fail in-flight and queued writes with
   * SERVICE_UNAVAILABLE, report once. Returns the error so callers can `throw this.#fatal(...)`.
   */
  #fatal(err: Error, inFlight: Job[]): Error {
    const first = this.#state !== 'failed';
    this.#state = 'failed';
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const job of inFlight) {
      // The bytes may have reached the disk: the outcome is unknown.
      job.reject(new PairdbError('SERVICE_UNAVAILABLE', `commit log I/O failed: ${err.message}`, { outcome: 'unknown', cause: err }));
    }
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const job of queued) {
      job.reject(new PairdbError('SERVICE_UNAVAILABLE', `commit log I/O failed: ${err.message}`, { outcome: 'not_applied', cause: err }));
    }
    if (first) {
      this.#log.fatal({ err, segment: this.#segment }, 'commit log I/O error; refusing further writes');
      this.#onFatal(err);
    }
    return err;
  }

  /** Recovery (§2) and opening of a fresh segment. */
  async #recover(): Promise<ReplayReport> {
    const fs = this.#fs;
    await fs.mkdir(this.#dir);
    // The commitlog/ entry itself must survive a power loss before any segment in it is trusted.
    await fs.fsyncDir(dirname(this.#dir));
    const numbers = (await fs.readdir(this.#dir))
      .map(parseSegmentFileName)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    let records = 0;
    let writes = 0;
    let truncatedBytes = 0;
    let lastRotateTo: number | undefined;
    let prevSize = 0;
    let replayed = 0;
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i]!;
      const name = segmentFileName(n);
      const path = join(this.#dir, name);
      const newest = i === numbers.length - 1;
      const buf = await readWholeFile(fs, path);
      if (newest && (buf.length < HEADER_SIZE || buf.subarray(0, HEADER_SIZE).every((b) => b === 0))) {
        // Torn creation: the crash hit between creating the file and syncing its header.
        this.#log.warn({ segment: name, bytes: buf.length }, 'deleting a commit-log segment torn at creation');
        await fs.unlink(path);
        await fs.fsyncDir(this.#dir);
        break;
      }
      if (lastRotateTo !== undefined && lastRotateTo !== n) {
        const prev = segmentFileName(numbers[i - 1]!);
        throw corrupt(prev, prevSize - ROTATE_RECORD_SIZE, `ROTATE names segment ${lastRotateTo}, next file is ${n}`);
      }
      const bad = checkSegmentHeader(buf, n);
      if (bad) throw corrupt(name, 0, bad);
      let off = HEADER_SIZE;
      let rotateTo: number | undefined;
      let size = buf.length;
      while (off < buf.length) {
        if (rotateTo !== undefined) throw corrupt(name, off, 'bytes after a ROTATE record');
        const rec = readRecordAt(buf, off);
        if (rec) {
          try {
            if (rec.type === RECORD_ROTATE) {
              rotateTo = decodeRotatePayload(buf, off + RECORD_HEADER_SIZE, rec.end);
            } else {
              const batch = decodeBatchPayload(buf, off + RECORD_HEADER_SIZE, rec.end);
              if (batch.durableMark > off) throw new CorruptionError('durable_mark beyond its own record');
              for (const w of batch.writes) this.#apply(w);
              writes += batch.writes.length;
            }
          } catch (err) {
            if (err instanceof CorruptionError) throw corrupt(name, off, err.message);
            throw err;
          }
          records++;
          off = rec.end;
          continue;
        }
        if (!newest) throw corrupt(name, off, 'bad record in a segment that is not the newest');
        // The newest segment: torn tail, unsynced bytes persisted out of order, or corruption of durable data.
        let maxMark = -1;
        for (let y = off + 1; y + RECORD_HEADER_SIZE <= buf.length; y++) {
          const later = readRecordAt(buf, y);
          if (!later) continue;
          maxMark = Math.max(maxMark, durableMarkOf(buf, later));
          y = later.end - 1;
        }
        if (maxMark > off) throw corrupt(name, off, `a later record marks ${maxMark} durable`);
        const fd = await fs.open(path, 'r+');
        try {
          await fs.truncate(fd, off);
          await fs.fsync(fd);
        } finally {
          await fs.close(fd);
        }
        truncatedBytes = buf.length - off;
        this.#log.warn(
          { segment: name, offset: off, dropped_bytes: truncatedBytes, reason: maxMark < 0 ? 'torn tail' : 'unsynced out-of-order' },
          'truncated the commit-log tail',
        );
        size = off;
        break;
      }
      if (!newest && rotateTo === undefined) throw corrupt(name, off, 'segment does not end with a ROTATE record');
      lastRotateTo = rotateTo;
      prevSize = size;
      this.#olderBytes += size;
      this.#segmentCount++;
      replayed++;
      this.#offset = size;
      this.#segment = n;
    }
    // Close the replayed chain with a ROTATE (unless it already ends with one) and start a new segment.
    let next: number;
    if (replayed === 0) {
      // Nothing replayed: every segment on disk was below log_start (gone already) or torn at creation (just deleted).
      if (this.#logStart > 0) next = this.#logStart;
      else next = this.#allocate ? this.#allocate() : numbers.length > 0 ? numbers[0]! : 1;
      this.#olderBytes = 0;
    } else if (lastRotateTo !== undefined) {
      next = lastRotateTo;
    } else {
      const path = join(this.#dir, segmentFileName(this.#segment));
      next = this.#nextSegmentNumber();
      const fd = await fs.open(path, 'r+');
      try {
        await writeFully(fs, fd, encodeRotateRecord(next), 0, ROTATE_RECORD_SIZE, this.#offset);
        await fs.fdatasync(fd);
      } finally {
        await fs.close(fd);
      }
      this.#olderBytes += ROTATE_RECORD_SIZE;
    }
    this.#fd = await this.#createSegment(next);
    this.#segment = next;
    this.#segmentCount++;
    this.#offset = HEADER_SIZE;
    this.#durableMark = HEADER_SIZE;
    if (this.#mode === 'periodic') {
      this.#timer = setInterval(this.#periodicSync, this.#interval);
      this.#timer.unref();
    }
    return { segments: replayed, records, writes, truncatedBytes };
  }
}

function noop(): void {}

export type { LogWrite } from './commit-log-format.js';
