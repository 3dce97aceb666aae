import { PairdbError } from '../errors.js';

/** Consistency levels (cluster.md §3); the wire's CONSISTENCY_UNSPECIFIED means `quorum`. */
export type Level = 'one' | 'quorum' | 'all';

export const LEVEL_TO_WIRE = {
  one: 'CONSISTENCY_ONE',
  quorum: 'CONSISTENCY_QUORUM',
  all: 'CONSISTENCY_ALL',
} as const satisfies Record<Level, string>;

/** Parses the wire enum (string or number); unset → quorum; anything else → INVALID_REQUEST. */
export function levelFromWire(v: unknown): Level {
  switch (v) {
    case undefined:
    case null:
    case 0:
    case 'CONSISTENCY_UNSPECIFIED':
    case 2:
    case 'CONSISTENCY_QUORUM':
      return 'quorum';
    case 1:
    case 'CONSISTENCY_ONE':
      return 'one';
    case 3:
    case 'CONSISTENCY_ALL':
      return 'all';
    default:
      throw new PairdbError('INVALID_REQUEST', 'consistency must be one, quorum or all');
  }
}

/** required(level, rf): one = 1, quorum = floor(rf/2)+1, all = rf. */
export function required(level: Level, rf: number): number {
  switch (level) {
    case 'one':
      return 1;
    case 'quorum':
      return Math.floor(rf / 2) + 1;
    case 'all':
      return rf;
  }
}

export type QuorumState = 'pending' | 'success' | 'impossible';

/**
 * Counts the answers of one fan-out against `need` (cluster.md §3 "Early return"): the state turns `success` as
 * soon as `need` counted acks arrived and `impossible` as soon as the outstanding ones cannot make up the rest.
 * Each replica answers once; the caller reports it with `ack(counted)` or `fail(counted)`.
 */
export class QuorumTracker {
  readonly need: number;
  #outstanding: number;
  #acks = 0;
  #failures = 0;
  /** Counted members not yet answered (only they can still raise #acks). */
  #countedOutstanding: number;

  /**
   * @param need acks required.
   * @param counted counted replicas the request was sent to.
   * @param uncounted replicas that take the write but do not count (e.g. a bootstrapping gainer).
   */
  constructor(need: number, counted: number, uncounted = 0) {
    this.need = need;
    this.#countedOutstanding = counted;
    this.#outstanding = counted + uncounted;
  }

  get acks(): number {
    return this.#acks;
  }

  get failures(): number {
    return this.#failures;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  /** All replies are in. */
  get settled(): boolean {
    return this.#outstanding === 0;
  }

  get state(): QuorumState {
    if (this.#acks >= this.need) return 'success';
    if (this.#acks + this.#countedOutstanding < this.need) return 'impossible';
    return 'pending';
  }

  ack(counted = true): QuorumState {
    this.#outstanding--;
    if (counted) {
      this.#countedOutstanding--;
      this.#acks++;
    }
    return this.state;
  }

  fail(counted = true): QuorumState {
    this.#outstanding--;
    this.#failures++;
    if (counted) this.#countedOutstanding--;
    return this.state;
  }
}
