import { statfs as nodeStatfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { errnoCode } from './file-system.js';

/**
 * The disk guard of storage-engine.md §9. The pure parts (state machine with hysteresis, worst-of-several usage,
 * the client-write throttle bucket) take their inputs and the clock as arguments; `DiskGuard` adds the statfs
 * polling (every 5 s, unref'd, and on demand after flushes/compactions) and the logging.
 *
 * | usage             | state    | effect                                                                      |
 * | ≥ warn (0.80)     | warn     | log once per minute, health `degraded`                                      |
 * | ≥ throttle (0.90) | throttle | CLIENT writes ≤ 8 MiB/s, a wait > 1 s fails DISK_THROTTLED; internal pass   |
 * | ≥ reject (0.95)   | reject   | all writes fail DISK_FULL; reads, flushes and compactions continue          |
 */

export type DiskState = 'ok' | 'warn' | 'throttle' | 'reject';

/** Index = the `pairdb_engine_disk_state` gauge value (0 ok … 3 reject). */
export const DISK_STATES: readonly DiskState[] = ['ok', 'warn', 'throttle', 'reject'];

export function diskStateLevel(s: DiskState): number {
  return DISK_STATES.indexOf(s);
}

/** Usage ratios (0..1) at which each state is entered. */
export interface DiskThresholds {
  readonly warn: number;
  readonly throttle: number;
  readonly reject: number;
}

export const DEFAULT_DISK_THRESHOLDS: DiskThresholds = Object.freeze({ warn: 0.8, throttle: 0.9, reject: 0.95 });
/** "A state is left 2 points under its threshold" (§9): without it a disk hovering at 90 % would flap every poll. */
export const DISK_HYSTERESIS = 0.02;
export const DEFAULT_DISK_POLL_MS = 5000;
/** §9: client writes ≤ 8 MiB/s while throttled. */
export const DEFAULT_THROTTLE_BYTES_PER_SEC = 8 * 1024 * 1024;
/** §9: a throttled write that would wait longer than this fails instead. */
export const MAX_THROTTLE_WAIT_MS = 1000;
/** How often the warn-or-worse state is logged while it lasts (§9 "log once per minute"). */
export const DISK_WARN_LOG_INTERVAL_MS = 60_000;

/** Fills in defaults and checks 0 < warn ≤ throttle ≤ reject ≤ 1 (CONFIG_INVALID otherwise). */
export function diskThresholds(t: Partial<DiskThresholds> = {}): DiskThresholds {
  const out = { ...DEFAULT_DISK_THRESHOLDS, ...t };
  for (const k of ['warn', 'throttle', 'reject'] as const) {
    const v = out[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
      throw new PairdbError('CONFIG_INVALID', `disk ${k} threshold must be a usage ratio in (0, 1], got ${String(v)}`);
    }
  }
  if (!(out.warn <= out.throttle && out.throttle <= out.reject)) {
    throw new PairdbError(
      'CONFIG_INVALID',
      `disk thresholds must satisfy warn ≤ throttle ≤ reject, got ${out.warn} / ${out.throttle} / ${out.reject}`,
    );
  }
  return Object.freeze(out);
}

function thresholdOf(s: DiskState, t: DiskThresholds): number {
  return s === 'warn' ? t.warn : s === 'throttle' ? t.throttle : s === 'reject' ? t.reject : 0;
}

/**
 * The next state for `usage` (0..1): the highest state whose threshold usage reaches, except that the current
 * state — and each state below it — is kept while usage stays within `hysteresis` under its threshold.
 * E.g. reject (0.95) is kept down to 0.93; at 0.92 the guard falls to throttle (0.92 ≥ 0.90 − 0.02).
 */
export function nextDiskState(prev: DiskState, usage: number, t: DiskThresholds, hysteresis = DISK_HYSTERESIS): DiskState {
  const prevLevel = diskStateLevel(prev);
  for (let level = DISK_STATES.length - 1; level > 0; level--) {
    const s = DISK_STATES[level]!;
    const threshold = thresholdOf(s, t);
    if (usage >= threshold) return s;
    if (level <= prevLevel && usage >= threshold - hysteresis) return s;
  }
  return 'ok';
}

/** The statfs fields the guard reads (a subset of node's StatFs, so tests can inject plain objects). */
export interface FsUsage {
  readonly bsize: number;
  readonly blocks: number;
  readonly bavail: number;
}

export type StatfsFn = (path: string) => Promise<FsUsage>;

export interface DiskUsage {
  /** (blocks − bavail) / blocks of the worst file system (§9). */
  readonly ratio: number;
  /** (blocks − bavail) × bsize and blocks × bsize of that file system. */
  readonly usedBytes: number;
  readonly capacityBytes: number;
}

/** §9 usage of one file system; a file system reporting no blocks (pseudo fs) counts as empty. */
export function usageOf(s: FsUsage): DiskUsage {
  if (!(s.blocks > 0)) return { ratio: 0, usedBytes: 0, capacityBytes: 0 };
  const used = Math.max(0, s.blocks - s.bavail);
  return { ratio: Math.min(1, used / s.blocks), usedBytes: used * s.bsize, capacityBytes: s.blocks * s.bsize };
}

/** The worst (highest ratio) of several file systems; undefined for none. */
export function worstUsage(list: readonly FsUsage[]): DiskUsage | undefined {
  let worst: DiskUsage | undefined;
  for (const s of list) {
    const u = usageOf(s);
    if (!worst || u.ratio > worst.ratio) worst = u;
  }
  return worst;
}

/**
 * The throttle of client writes: a token bucket of `bytesPerSec` that may go into debt by up to `maxWaitMs` worth
 * of bytes. `reserve` books the bytes and answers how long the write must wait first (0 = go), or -1 when the
 * wait would exceed `maxWaitMs` (nothing booked). Because debt accumulates, waiting writes are served in arrival
 * order. The burst (a full bucket) is 1/10 s worth, so a long run stays at the rate. Pure: the caller passes the clock.
 */
export class ThrottleBucket {
  readonly bytesPerSec: number;
  readonly burstBytes: number;
  readonly maxWaitMs: number;
  #tokens: number;
  #updatedMs: number;

  constructor(bytesPerSec: number, nowMs: number, maxWaitMs = MAX_THROTTLE_WAIT_MS) {
    if (!(bytesPerSec > 0) || !Number.isFinite(bytesPerSec)) {
      throw new PairdbError('CONFIG_INVALID', `disk throttle rate must be a positive number of bytes per second, got ${bytesPerSec}`);
    }
    this.bytesPerSec = bytesPerSec;
    this.burstBytes = bytesPerSec / 10;
    this.maxWaitMs = maxWaitMs;
    this.#tokens = this.burstBytes;
    this.#updatedMs = nowMs;
  }

  /** Tokens at `nowMs` (negative = debt). */
  tokensAt(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  reserve(bytes: number, nowMs: number): number {
    this.#refill(nowMs);
    const after = this.#tokens - bytes;
    const waitMs = after >= 0 ? 0 : (-after / this.bytesPerSec) * 1000;
    if (waitMs > this.maxWaitMs) return -1;
    this.#tokens = after;
    return waitMs;
  }

  #refill(nowMs: number): void {
    const elapsed = nowMs - this.#updatedMs;
    if (elapsed <= 0) return;
    this.#updatedMs = nowMs;
    const t = this.#tokens + (elapsed * this.bytesPerSec) / 1000;
    this.#tokens = t > this.burstBytes ? this.burstBytes : t;
  }
}

export interface DiskGuardOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Usage ratios; defaults 0.80 / 0.90 / 0.95. */
  readonly thresholds?: Partial<DiskThresholds>;
  /** Default node's fs.promises.statfs; tests inject usage. */
  readonly statfs?: StatfsFn;
  readonly pollIntervalMs?: number;
  readonly throttleBytesPerSec?: number;
  readonly now?: () => number;
}

/**
 * Polls statfs of the data directory and of `commitlog/` and `sst/` (which may be mounts of their own; the worst
 * counts), keeps the §9 state, answers the write-admission questions, and logs transitions (and the warn-or-worse
 * state once a minute). `check()` never throws: a failed statfs is logged and the previous state kept.
 */
export class DiskGuard {
  readonly thresholds: DiskThresholds;
  readonly #dataDir: string;
  readonly #log: Logger;
  readonly #statfs: StatfsFn;
  readonly #pollMs: number;
  readonly #now: () => number;
  readonly #bucket: ThrottleBucket;
  #state: DiskState = 'ok';
  #usage: DiskUsage = { ratio: 0, usedBytes: 0, capacityBytes: 0 };
  /** Whether any statfs has succeeded yet (Stats/Health report usage as known only then). */
  #known = false;
  #rejections = 0;
  /** Bumped by every ENOSPC; a check whose statfs began before the latest one cannot lift its `reject`. */
  #fullEpoch = 0;
  /** Whether the current `reject` comes from an ENOSPC rather than from statfs (for the error message). */
  #fullByEnospc = false;
  #lastWarnLogMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<DiskState> | undefined;
  #queued: Promise<DiskState> | undefined;
  #stopped = false;

  constructor(opts: DiskGuardOptions) {
    this.thresholds = diskThresholds(opts.thresholds);
    this.#dataDir = opts.dataDir;
    this.#log = opts.logger;
    this.#statfs = opts.statfs ?? ((path) => nodeStatfs(path));
    this.#pollMs = opts.pollIntervalMs ?? DEFAULT_DISK_POLL_MS;
    this.#now = opts.now ?? Date.now;
    this.#bucket = new ThrottleBucket(opts.throttleBytesPerSec ?? DEFAULT_THROTTLE_BYTES_PER_SEC, this.#now());
  }

  get state(): DiskState {
    return this.#state;
  }

  get usage(): DiskUsage {
    return this.#usage;
  }

  get known(): boolean {
    return this.#known;
  }

  /** Writes refused by the guard (reject state, or a throttle wait over 1 s): `disk_rejections_total`. */
  get rejections(): number {
    return this.#rejections;
  }

  /** First check, then a poll every pollIntervalMs (unref'd: it never keeps the process alive). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.check();
    if (this.#stopped || this.#timer) return;
    this.#timer = setInterval(() => {
      this.check().catch((err: unknown) => this.#log.error({ err }, 'disk guard check failed'));
    }, this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Re-reads statfs now and updates the state. A check requested while one runs is done once more after it (the
   * running one may have read statfs before the flush that asked for this one freed or used space).
   */
  check(): Promise<DiskState> {
    if (!this.#running) {
      this.#running = this.#check().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.check();
    });
    return this.#queued;
  }

  /**
   * An ENOSPC from a commit-log or table write (§2, §9): `reject` at once, until a statfs read after it says
   * otherwise (the next poll, or the check after the next successful flush), with the usual hysteresis.
   */
  markFull(what: string): void {
    this.#fullEpoch++;
    this.#fullByEnospc = true;
    this.#set('reject', `${what}: no space left on device (ENOSPC)`);
  }

  /** Write admission, reject part: every write purpose fails DISK_FULL in `reject`. */
  assertWritable(): void {
    if (this.#state !== 'reject') return;
    this.#rejections++;
    const why = this.#fullByEnospc
      ? 'the disk ran out of space (ENOSPC)'
      : `disk usage ${percent(this.#usage.ratio)} reached the reject threshold ${percent(this.thresholds.reject)}`;
    throw new PairdbError('DISK_FULL', `${why}: writes are refused, reads go on`, {
      outcome: 'not_applied',
      retryAfterSeconds: Math.ceil(this.#pollMs / 1000),
    });
  }

  /**
   * Write admission, throttle part (CLIENT writes only; the caller decides): in `throttle`, books `bytes` in the
   * bucket and returns the milliseconds to wait first (0 = go); fails DISK_THROTTLED when that would exceed 1 s.
   * Outside `throttle` always 0.
   */
  throttle(bytes: number): number {
    if (this.#state !== 'throttle') return 0;
    const waitMs = this.#bucket.reserve(bytes, this.#now());
    if (waitMs >= 0) return waitMs;
    this.#rejections++;
    throw new PairdbError(
      'DISK_THROTTLED',
      `disk usage ${percent(this.#usage.ratio)} is over the throttle threshold ${percent(this.thresholds.throttle)}: client writes are limited to ${this.#bucket.bytesPerSec} bytes/s and this one would wait over ${this.#bucket.maxWaitMs} ms`,
      { outcome: 'not_applied', retryAfterSeconds: 1 },
    );
  }

  async #check(): Promise<DiskState> {
    const epoch = this.#fullEpoch;
    const paths = [this.#dataDir, join(this.#dataDir, 'commitlog'), join(this.#dataDir, 'sst')];
    const found: FsUsage[] = [];
    for (const path of paths) {
      try {
        found.push(await this.#statfs(path));
      } catch (err) {
        // commitlog/ and sst/ appear during open; the data dir itself missing is worth a log line.
        if (errnoCode(err) === 'ENOENT' && path !== this.#dataDir) continue;
        this.#log.warn({ err, path }, 'disk guard: statfs failed; keeping the previous disk state');
      }
    }
    const worst = worstUsage(found);
    if (!worst) return this.#state;
    this.#usage = worst;
    this.#known = true;
    // An ENOSPC that happened while statfs was being read wins over what statfs said.
    if (epoch !== this.#fullEpoch) return this.#state;
    const next = nextDiskState(this.#state, worst.ratio, this.thresholds);
    this.#fullByEnospc = false;
    this.#set(next, undefined);
    if (next !== 'ok' && this.#now() - this.#lastWarnLogMs >= DISK_WARN_LOG_INTERVAL_MS) this.#logState('warn', undefined);
    return next;
  }

  #set(next: DiskState, why: string | undefined): void {
    const prev = this.#state;
    if (next === prev) return;
    this.#state = next;
    // A rise is worth a warning at once (and counts as this minute's); a fall is good news.
    this.#logState(diskStateLevel(next) > diskStateLevel(prev) ? 'warn' : 'info', why, prev);
  }

  #logState(level: 'warn' | 'info', why: string | undefined, prev?: DiskState): void {
    if (level === 'warn') this.#lastWarnLogMs = this.#now();
    const fields = {
      disk_state: this.#state,
      ...(prev !== undefined ? { previous: prev } : {}),
      usage_percent: Number((this.#usage.ratio * 100).toFixed(2)),
      used_bytes: this.#usage.usedBytes,
      capacity_bytes: this.#usage.capacityBytes,
      thresholds: this.thresholds,
      ...(why !== undefined ? { reason: why } : {}),
    };
    const msg =
      this.#state === 'ok'
        ? 'disk usage back under the warn threshold'
        : this.#state === 'warn'
          ? 'disk usage over the warn threshold: plan capacity'
          : this.#state === 'throttle'
            ? 'disk usage over the throttle threshold: client writes are rate-limited'
            : 'disk full or over the reject threshold: writes are refused';
    this.#log[level](fields, msg);
  }
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}
