import { type Clock, maxCounter, withCounter } from '../model/vector-clock.js';

/**
 * The coordinator's hybrid logical clock (cluster.md §5): counters are microsecond-scaled wall time,
 * hlc.next(m) = max(last + 1, now_ms·1000, (floor(m/1000) + 1)·1000), so every dot this coordinator makes is
 * unique and above every entry of the context it descends from.
 *
 * Persistence: the daemon saves `persistFloor()` as hlc_floor at least every second and builds the next Hlc
 * with it. The floor carries one second of headroom above `last`: dots that follow wall time cannot outrun it
 * before the next save, so a crash that loses the last save still restarts above every dot handed out. A dot
 * pushed further by a context (a peer's fast clock) calls `onFloorNeeded` so the daemon saves at once.
 */

/** Headroom of the persisted floor above `last`, in counter units (µs): the 1 s save period. */
export const FLOOR_HEADROOM = 1_000_000;

export interface HlcOptions {
  /** Wall clock in unix ms (injected for tests). */
  readonly nowMs: () => number;
  /** The persisted hlc_floor; the first dot is above it. */
  readonly floor?: number;
  /** Called (synchronously, at most once until `markPersisted`) when `last` passes the last persisted floor. */
  readonly onFloorNeeded?: () => void;
}

export class Hlc {
  readonly #nowMs: () => number;
  readonly #onFloorNeeded: (() => void) | undefined;
  #last: number;
  #persisted: number;
  #asked = false;

  constructor(opts: HlcOptions) {
    this.#nowMs = opts.nowMs;
    this.#onFloorNeeded = opts.onFloorNeeded;
    this.#last = opts.floor ?? 0;
    this.#persisted = this.#last;
  }

  /** The last counter handed out (or the floor it started from). */
  get last(): number {
    return this.#last;
  }

  /** hlc.next(m) for a context whose largest entry is `m`. */
  next(m: number): number {
    const wall = this.#nowMs() * 1000;
    const fromContext = (Math.floor(m / 1000) + 1) * 1000;
    let v = this.#last + 1;
    if (wall > v) v = wall;
    if (fromContext > v) v = fromContext;
    this.#last = v;
    if (v > this.#persisted && !this.#asked && this.#onFloorNeeded) {
      this.#asked = true;
      this.#onFloorNeeded();
    }
    return v;
  }

  /** increment(c, self): c[self] = hlc.next(max entry of c). */
  increment(c: Clock, self: string): Clock {
    return withCounter(c, self, this.next(maxCounter(c)));
  }

  /** The value to persist as hlc_floor now. */
  persistFloor(): number {
    return this.#last + FLOOR_HEADROOM;
  }

  /** Records that `floor` (a value from `persistFloor()`) is durable. */
  markPersisted(floor: number): void {
    if (floor > this.#persisted) this.#persisted = floor;
    this.#asked = this.#last > this.#persisted;
    if (this.#asked && this.#onFloorNeeded) this.#onFloorNeeded();
  }

  /** Whether `last` moved since the floor last persisted was taken (so a periodic save is worth it). */
  get dirty(): boolean {
    return this.#last + FLOOR_HEADROOM > this.#persisted;
  }
}
