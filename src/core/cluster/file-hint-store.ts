import { join } from 'node:path';
import { type FileSystem, NodeFileSystem, SyncFailedError, errnoCode, readWholeFile, syncOrFail, writeFully } from '../engine/file-system.js';
import { PairdbError } from '../errors.js';
import type { Version } from '../model/version.js';
import { type Hint, encodeHintRecord, readHintRecord } from './hint-format.js';

/**
 * Durable hinted handoff on the coordinator's disk (cluster.md §9, embedded metadata): per target node a directory
 * `<data_dir>/hints/<node_id>/` of segments `NNNNNNNN.log` and a `delivered` cursor (the highest hint id acked by
 * the target). Appends are group-committed: one write + fdatasync per batch, and `append()` resolves only once its
 * hints are durable (a hint made before the reply is durable before it, §6 step 9). A segment is deleted when every
 * hint in it is delivered or expired. At open, a torn tail of a target's newest segment is cut; any other bad
 * record refuses to open (CORRUPT_FILE).
 *
 * Memory: only per-segment summaries are kept (first/last id, latest expiry, count); pending hints are read from
 * the segment files in id order.
 */

/** A hint to store: the store assigns hint_id and created_at. */
export interface NewHint {
  readonly targetNodeId: string;
  readonly tenantId: string;
  readonly key: string;
  readonly versions: readonly Version[];
}

/** The coordinator's view of its hints (cluster.md §9); a PostgreSQL variant comes with the PostgreSQL metadata. */
export interface HintStore {
  /** Stores hints durably; resolves once they survive a crash. */
  append(hints: readonly NewHint[]): Promise<void>;
  /** Up to `limit` undelivered, unexpired hints for `target`, in hint-id order. */
  pending(target: string, limit: number): Promise<Hint[]>;
  /** The target acked every hint up to `hintId`: they are never returned again (and their segments go). */
  delivered(target: string, hintId: number): Promise<void>;
  /** Deletes hints past their window (whole segments); returns how many went, per target. */
  expire(): Promise<Map<string, number>>;
  /** Drops every hint for `target` (a node that left the ring: §9 expiry deletes hints for `removed` nodes); returns how many. */
  discard(target: string): Promise<number>;
  /** Undelivered hints per target (expired ones included until expire() runs). */
  counts(): Map<string, number>;
  close(): Promise<void>;
}

export interface FileHintStoreOptions {
  /** `<data_dir>/hints`. */
  readonly dir: string;
  readonly fs?: FileSystem;
  /** max_hint_window (default 3 h). */
  readonly windowMs?: number;
  readonly segmentBytes?: number;
  readonly now?: () => number;
}

const DEFAULT_WINDOW_MS = 3 * 3_600_000;
const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
const SEGMENT_RE = /^(\d{8})\.log$/;
const CURSOR = 'delivered';
const NODE_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

interface Segment {
  readonly n: number;
  firstId: number;
  lastId: number;
  maxExpiresAt: number;
  count: number;
  bytes: number;
}

interface Target {
  readonly id: string;
  readonly dir: string;
  segments: Segment[];
  fd: number | undefined;
  nextId: number;
  delivered: number;
  /** Records waiting for the next group commit, and their waiters. */
  queue: Array<{ record: Buffer; hint: Hint; resolve: () => void; reject: (e: Error) => void }>;
  writing: boolean;
}

/** Hints of a segment above the delivered cursor (ids within a segment increase; a failed append leaves a gap). */
function undeliveredIn(s: Segment, delivered: number): number {
  if (s.count === 0 || s.lastId <= delivered) return 0;
  return Math.min(s.count, s.lastId - delivered);
}

export class FileHintStore implements HintStore {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #windowMs: number;
  readonly #segmentBytes: number;
  readonly #now: () => number;
  readonly #targets = new Map<string, Target>();
  readonly #creating = new Map<string, Promise<Target>>();
  #closed = false;

  private constructor(opts: FileHintStoreOptions) {
    this.#fs = opts.fs ?? new NodeFileSystem();
    this.#dir = opts.dir;
    this.#windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    this.#segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#now = opts.now ?? Date.now;
  }

  /** Opens (creating) the hint directory: every target's segments are checked; a torn newest tail is cut. */
  static async open(opts: FileHintStoreOptions): Promise<FileHintStore> {
    const store = new FileHintStore(opts);
    await store.#fs.mkdir(store.#dir);
    for (const name of await store.#fs.readdir(store.#dir)) {
      if (NODE_ID_RE.test(name)) await store.#load(name);
    }
    return store;
  }

  async #load(id: string): Promise<Target> {
    const dir = join(this.#dir, id);
    const t: Target = { id, dir, segments: [], fd: undefined, nextId: 1, delivered: 0, queue: [], writing: false };
    const names = (await this.#fs.readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    try {
      t.delivered = Number((await readWholeFile(this.#fs, join(dir, CURSOR))).toString('utf8').trim()) || 0;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const [i, name] of names.entries()) {
      const path = join(dir, name);
      const buf = await readWholeFile(this.#fs, path);
      const seg: Segment = { n: Number(SEGMENT_RE.exec(name)![1]), firstId: 0, lastId: 0, maxExpiresAt: 0, count: 0, bytes: 0 };
      let off = 0;
      while (off < buf.length) {
        const r = readHintRecord(buf, off);
        if (!r.ok) {
          const newest = i === names.length - 1;
          if (r.problem === 'torn' && newest) {
            // An append that never completed (never acked): cut it off.
            const fd = await this.#fs.open(path, 'r+');
            try {
              await this.#fs.truncate(fd, off);
              await syncOrFail(`fsync of ${path}`, () => this.#fs.fsync(fd));
            } finally {
              await this.#fs.close(fd);
            }
            break;
          }
          throw new PairdbError('CORRUPT_FILE', `hint log ${path} offset ${off}: ${r.what}`);
        }
        const h = r.hint;
        if (seg.count === 0) seg.firstId = h.hintId;
        seg.lastId = h.hintId;
        seg.maxExpiresAt = Math.max(seg.maxExpiresAt, h.expiresAtMs);
        seg.count++;
        off = r.end;
      }
      seg.bytes = off;
      if (seg.count > 0) t.nextId = Math.max(t.nextId, seg.lastId + 1);
      t.segments.push(seg);
    }
    t.nextId = Math.max(t.nextId, t.delivered + 1);
    this.#targets.set(id, t);
    return t;
  }

  /** The target's state, its directory created on first use (once, however many appends race for it). */
  #target(id: string): Promise<Target> {
    const t = this.#targets.get(id);
    if (t) return Promise.resolve(t);
    let creating = this.#creating.get(id);
    if (!creating) {
      creating = (async () => {
        if (!NODE_ID_RE.test(id)) throw new PairdbError('INVALID_REQUEST', `invalid node id ${JSON.stringify(id)}`);
        const dir = join(this.#dir, id);
        await this.#fs.mkdir(dir);
        await syncOrFail(`fsync of directory ${this.#dir}`, () => this.#fs.fsyncDir(this.#dir));
        const created: Target = { id, dir, segments: [], fd: undefined, nextId: 1, delivered: 0, queue: [], writing: false };
        this.#targets.set(id, created);
        return created;
      })().finally(() => this.#creating.delete(id));
      this.#creating.set(id, creating);
    }
    return creating;
  }

  async append(hints: readonly NewHint[]): Promise<void> {
    if (this.#closed) throw new PairdbError('SERVICE_UNAVAILABLE', 'hint store is closed');
    const now = this.#now();
    const waits: Promise<void>[] = [];
    for (const nh of hints) {
      const t = this.#targets.get(nh.targetNodeId) ?? (await this.#target(nh.targetNodeId));
      const hint: Hint = { hintId: t.nextId++, tenantId: nh.tenantId, key: nh.key, versions: nh.versions, createdAtMs: now, expiresAtMs: now + this.#windowMs };
      const record = encodeHintRecord(hint);
      waits.push(
        new Promise<void>((resolve, reject) => {
          t.queue.push({ record, hint, resolve, reject });
        }),
      );
      if (!t.writing) void this.#drain(t);
    }
    await Promise.all(waits);
  }

  /** Group commit per target: whatever queued while the previous batch synced goes in one write + fdatasync. */
  async #drain(t: Target): Promise<void> {
    t.writing = true;
    try {
      while (t.queue.length > 0) {
        const batch = t.queue.splice(0);
        try {
          let seg = t.segments[t.segments.length - 1];
          if (!seg || t.fd === undefined || seg.bytes >= this.#segmentBytes) seg = await this.#newSegment(t);
          const buf = Buffer.concat(batch.map((b) => b.record));
          await writeFully(this.#fs, t.fd!, buf, 0, buf.length, seg.bytes);
          await syncOrFail(`fdatasync of a hint segment of ${t.id}`, () => this.#fs.fdatasync(t.fd!));
          seg.bytes += buf.length;
          for (const b of batch) {
            if (seg.count === 0) seg.firstId = b.hint.hintId;
            seg.lastId = b.hint.hintId;
            seg.maxExpiresAt = Math.max(seg.maxExpiresAt, b.hint.expiresAtMs);
            seg.count++;
          }
          for (const b of batch) b.resolve();
        } catch (err) {
          // Not durable: the caller must not reply as if the hint existed. A sync failure leaves the segment
          // untrustworthy: later appends go to a new one.
          if (err instanceof SyncFailedError && t.fd !== undefined) {
            await this.#fs.close(t.fd).catch(() => undefined);
            t.fd = undefined;
          }
          const e = PairdbError.from(err);
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      t.writing = false;
    }
  }

  async #newSegment(t: Target): Promise<Segment> {
    if (t.fd !== undefined) await this.#fs.close(t.fd);
    const n = (t.segments[t.segments.length - 1]?.n ?? 0) + 1;
    const path = join(t.dir, `${String(n).padStart(8, '0')}.log`);
    t.fd = await this.#fs.open(path, 'wx');
    await syncOrFail(`fsync of directory ${t.dir}`, () => this.#fs.fsyncDir(t.dir));
    const seg: Segment = { n, firstId: 0, lastId: 0, maxExpiresAt: 0, count: 0, bytes: 0 };
    t.segments.push(seg);
    return seg;
  }

  async pending(target: string, limit: number): Promise<Hint[]> {
    const t = this.#targets.get(target);
    if (!t) return [];
    const now = this.#now();
    const out: Hint[] = [];
    for (const seg of t.segments) {
      if (out.length >= limit) break;
      if (seg.count === 0 || seg.lastId <= t.delivered || seg.maxExpiresAt <= now) continue;
      const buf = await readWholeFile(this.#fs, join(t.dir, `${String(seg.n).padStart(8, '0')}.log`));
      let off = 0;
      while (off < seg.bytes && out.length < limit) {
        const r = readHintRecord(buf, off);
        if (!r.ok) throw new PairdbError('CORRUPT_FILE', `hint log of ${target} segment ${seg.n} offset ${off}: ${r.what}`);
        if (r.hint.hintId > t.delivered && r.hint.expiresAtMs > now) out.push(r.hint);
        off = r.end;
      }
    }
    return out;
  }

  async delivered(target: string, hintId: number): Promise<void> {
    const t = this.#targets.get(target);
    if (!t || hintId <= t.delivered) return;
    t.delivered = hintId;
    // The cursor is durable before segments go (a lost cursor only re-delivers: writes merge by clock).
    const tmp = join(t.dir, `${CURSOR}.tmp`);
    const fd = await this.#fs.open(tmp, 'w');
    try {
      const b = Buffer.from(`${hintId}\n`);
      await writeFully(this.#fs, fd, b, 0, b.length, 0);
      await syncOrFail(`fsync of ${tmp}`, () => this.#fs.fsync(fd));
    } finally {
      await this.#fs.close(fd);
    }
    await this.#fs.rename(tmp, join(t.dir, CURSOR));
    await syncOrFail(`fsync of directory ${t.dir}`, () => this.#fs.fsyncDir(t.dir));
    await this.#dropSegments(t, (s) => s.lastId <= t.delivered);
  }

  async expire(): Promise<Map<string, number>> {
    const now = this.#now();
    const out = new Map<string, number>();
    for (const t of this.#targets.values()) {
      const n = await this.#dropSegments(t, (s) => s.maxExpiresAt <= now, (s) => undeliveredIn(s, t.delivered));
      if (n > 0) out.set(t.id, n);
    }
    return out;
  }

  async discard(target: string): Promise<number> {
    const t = this.#targets.get(target);
    const last = t?.segments[t.segments.length - 1]?.lastId;
    if (!t || last === undefined || last <= t.delivered) return 0;
    const n = this.counts().get(target) ?? 0;
    await this.delivered(target, last);
    return n;
  }

  /** Deletes whole segments matching `gone` (the active one only once a newer segment exists); returns a count. */
  async #dropSegments(t: Target, gone: (s: Segment) => boolean, counted: (s: Segment) => number = () => 0): Promise<number> {
    let n = 0;
    const keep: Segment[] = [];
    for (const [i, s] of t.segments.entries()) {
      const active = i === t.segments.length - 1;
      if (s.count > 0 && gone(s) && !active) {
        n += counted(s);
        await this.#fs.unlink(join(t.dir, `${String(s.n).padStart(8, '0')}.log`)).catch((err: unknown) => {
          if (errnoCode(err) !== 'ENOENT') throw err;
        });
      } else keep.push(s);
    }
    if (keep.length !== t.segments.length) {
      t.segments = keep;
      await syncOrFail(`fsync of directory ${t.dir}`, () => this.#fs.fsyncDir(t.dir));
    }
    return n;
  }

  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of this.#targets.values()) {
      let n = 0;
      for (const s of t.segments) n += undeliveredIn(s, t.delivered);
      out.set(t.id, n);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#targets.values()) {
      while (t.writing || t.queue.length > 0) await new Promise((r) => setTimeout(r, 1));
      if (t.fd !== undefined) await this.#fs.close(t.fd);
      t.fd = undefined;
    }
  }
}
