import { createHash, hash } from 'node:crypto';
import { PairdbError } from '../errors.js';
import type { Clock } from '../model/vector-clock.js';

/**
 * Idempotency of client writes (cluster.md §12), the in-process store of the embedded setup. A record per
 * (tenant, key, idempotency key) is `in_flight` while its first execution runs and `done` with the response
 * after success; a failure deletes it so a retry may run.
 *
 * Bounds: done records live `ttlMs` (24 h) but at most `maxEntries` are kept, oldest first out, so memory
 * stays bounded under sustained load. A retry after its record was evicted still adds no version: the write's
 * read step finds the write id in a replica's write-id memory (cluster.md §6 step 5).
 */

export type IdempotencyOp = 'put' | 'delete';

/**
 * request_hash = SHA-256(`${op}\n${consistency}\n${ctx}\n` + value bytes), ctx = canonical JSON
 * `[[actor,counter],…]` or empty when the request had no context (absent ≠ {}).
 */
export function requestHash(op: IdempotencyOp, consistency: string, context: Clock | null, value: Buffer): string {
  const ctx = context === null ? '' : JSON.stringify(context.map((e) => [e.actor, e.counter]));
  return createHash('sha256').update(`${op}\n${consistency}\n${ctx}\n`).update(value).digest('hex');
}

/** write_id = the first 16 bytes of SHA-256(idempotency_key) (cluster.md §6 step 3). */
export function writeIdOf(idempotencyKey: string): Buffer {
  return hash('sha256', idempotencyKey, 'buffer').subarray(0, 16);
}

/** A waiter polls an in-flight record after 50 ms, then 100 ms, then every 200 ms (cluster.md §12). */
export function pollDelayMs(attempt: number): number {
  return Math.min(200, 50 * 2 ** Math.max(0, attempt));
}

/** A waiter gives up this long before its deadline, so its IDEMPOTENCY_KEY_IN_USE answer still gets back. */
export const IN_USE_MARGIN_MS = 500;

/**
 * Until when a duplicate may wait for an in-flight original: the original's lock life and the waiter's own
 * deadline − 500 ms, whichever ends first (cluster.md §12, http-api.md §5).
 */
export function waitLimit(lockExpiresAtMs: number, deadlineMs: number): number {
  return Math.min(lockExpiresAtMs, deadlineMs - IN_USE_MARGIN_MS);
}

interface Entry<R> {
  state: 'in_flight' | 'done';
  hash: string;
  owner: number;
  response: R | undefined;
  /** in_flight: when the lock lapses; done: when the record expires. */
  expiresAt: number;
  waiters: Array<() => void>;
}

export type Acquired<R> = { readonly kind: 'new'; readonly owner: number } | { readonly kind: 'done'; readonly response: R };

export interface InProcessIdempotencyOptions {
  /** Life of a completed record (24 h). */
  readonly ttlMs?: number;
  /** Life of an in-flight record's lock (30 s): a hung original is taken over after it. */
  readonly lockMs?: number;
  /** Completed records kept at most (oldest evicted first); in-flight ones are never evicted. */
  readonly maxEntries?: number;
  readonly nowMs?: () => number;
  /** Waits `ms` (tests pass a fake that advances their clock); a completed or released original ends it early. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class InProcessIdempotency<R> {
  readonly #ttlMs: number;
  readonly #lockMs: number;
  readonly #max: number;
  readonly #nowMs: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #inFlight = new Map<string, Entry<R>>();
  /** Completed records in completion order, so expiry and eviction take them from the front. */
  readonly #done = new Map<string, Entry<R>>();
  #nextOwner = 1;

  constructor(opts: InProcessIdempotencyOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? 86_400_000;
    this.#lockMs = opts.lockMs ?? 30_000;
    this.#max = opts.maxEntries ?? 100_000;
    this.#nowMs = opts.nowMs ?? Date.now;
    this.#sleep = opts.sleep ?? realSleep;
  }

  /** Records held (in flight and completed). */
  get size(): number {
    return this.#inFlight.size + this.#done.size;
  }

  static scope(tenantId: string, key: string, idempotencyKey: string): string {
    return `${tenantId}\u0000${key}\u0000${idempotencyKey}`;
  }

  /**
   * Takes the record for a new execution, or answers with the stored response of a completed one. Another
   * request hash → IDEMPOTENCY_KEY_CONFLICT. A running original is polled (50 → 200 ms); once it completes its
   * response is replayed, once it fails or its lock lapses the caller runs the write itself, and if neither
   * happens before the lock's end and `deadlineMs` − 500 ms → IDEMPOTENCY_KEY_IN_USE.
   */
  async acquire(scope: string, hash: string, deadlineMs: number): Promise<Acquired<R>> {
    for (let attempt = 0; ; attempt++) {
      const now = this.#nowMs();
      this.#expire(now);
      const e = this.#live(scope, now);
      if (!e) {
        const owner = this.#nextOwner++;
        this.#inFlight.set(scope, { state: 'in_flight', hash, owner, response: undefined, expiresAt: now + this.#lockMs, waiters: [] });
        return { kind: 'new', owner };
      }
      if (e.hash !== hash) {
        throw new PairdbError('IDEMPOTENCY_KEY_CONFLICT', 'the idempotency key was used with a different request');
      }
      if (e.state === 'done') return { kind: 'done', response: e.response as R };
      const limit = waitLimit(e.expiresAt, deadlineMs);
      if (limit <= now) {
        throw new PairdbError('IDEMPOTENCY_KEY_IN_USE', 'the same request is still in flight', { retryAfterSeconds: 1 });
      }
      await this.#pause(e, Math.min(pollDelayMs(attempt), limit - now));
    }
  }

  /** Stores the response of a successful first execution; it is replayed for 24 h. */
  complete(scope: string, owner: number, response: R): void {
    const e = this.#inFlight.get(scope);
    if (!e || e.owner !== owner) return; // our lock lapsed and someone else owns it now
    this.#inFlight.delete(scope);
    e.state = 'done';
    e.response = response;
    e.expiresAt = this.#nowMs() + this.#ttlMs;
    this.#done.delete(scope);
    this.#done.set(scope, e);
    this.#evict();
    this.#wake(e);
  }

  /** Drops the record of a failed execution so a retry may run. */
  release(scope: string, owner: number): void {
    const e = this.#inFlight.get(scope);
    if (!e || e.owner !== owner) return;
    this.#inFlight.delete(scope);
    this.#wake(e);
  }

  /** The unexpired record of `scope`, if any (a lapsed lock counts as gone). */
  #live(scope: string, now: number): Entry<R> | undefined {
    const flying = this.#inFlight.get(scope);
    if (flying && flying.expiresAt > now) return flying;
    if (flying) this.#inFlight.delete(scope);
    const done = this.#done.get(scope);
    if (done && done.expiresAt > now) return done;
    if (done) this.#done.delete(scope);
    return undefined;
  }

  /** Waits `ms`, or less if the original completes or fails meanwhile. */
  #pause(e: Entry<R>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const wake = (): void => {
        if (settled) return;
        settled = true;
        const i = e.waiters.indexOf(wake);
        if (i >= 0) e.waiters.splice(i, 1);
        resolve();
      };
      e.waiters.push(wake);
      void this.#sleep(ms).then(wake, wake);
    });
  }

  #wake(e: Entry<R>): void {
    const ws = e.waiters;
    e.waiters = [];
    for (const w of ws) w();
  }

  /** Completed records past their 24 h: all expire in completion order, so only the front is looked at. */
  #expire(now: number): void {
    for (const [k, e] of this.#done) {
      if (e.expiresAt > now) break;
      this.#done.delete(k);
    }
  }

  #evict(): void {
    for (const k of this.#done.keys()) {
      if (this.#done.size <= this.#max) break;
      this.#done.delete(k);
    }
  }
}
