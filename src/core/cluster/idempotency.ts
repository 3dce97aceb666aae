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
  readonly ttlMs?: number;
  readonly lockMs?: number;
  readonly maxEntries?: number;
  readonly nowMs?: () => number;
}

export class InProcessIdempotency<R> {
  readonly #ttlMs: number;
  readonly #lockMs: number;
  readonly #max: number;
  readonly #nowMs: () => number;
  readonly #map = new Map<string, Entry<R>>();
  #nextOwner = 1;

  constructor(opts: InProcessIdempotencyOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? 86_400_000;
    this.#lockMs = opts.lockMs ?? 30_000;
    this.#max = opts.maxEntries ?? 100_000;
    this.#nowMs = opts.nowMs ?? Date.now;
  }

  get size(): number {
    return this.#map.size;
  }

  static scope(tenantId: string, key: string, idempotencyKey: string): string {
    return `${tenantId}\u0000${key}\u0000${idempotencyKey}`;
  }

  /**
   * Takes the record for a new execution, or answers with the stored response of a completed one. Another
   * request hash → IDEMPOTENCY_KEY_CONFLICT; a still-running original that does not finish before
   * min(lock, deadline − 500 ms) → IDEMPOTENCY_KEY_IN_USE.
   */
  async acquire(scope: string, hash: string, deadlineMs: number): Promise<Acquired<R>> {
    for (;;) {
      const now = this.#nowMs();
      const e = this.#map.get(scope);
      if (!e || e.expiresAt <= now) {
        if (e) this.#map.delete(scope);
        const owner = this.#nextOwner++;
        this.#map.set(scope, { state: 'in_flight', hash, owner, response: undefined, expiresAt: now + this.#lockMs, waiters: [] });
        this.#evict();
        return { kind: 'new', owner };
      }
      if (e.hash !== hash) {
        throw new PairdbError('IDEMPOTENCY_KEY_CONFLICT', 'the idempotency key was used with a different request');
      }
      if (e.state === 'done') return { kind: 'done', response: e.response as R };
      const waitUntil = Math.min(e.expiresAt, deadlineMs - 500);
      if (waitUntil <= now) throw new PairdbError('IDEMPOTENCY_KEY_IN_USE', 'the same request is still in flight', { retryAfterSeconds: 1 });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitUntil - now);
        e.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (this.#map.get(scope) === e && e.state === 'in_flight' && this.#nowMs() >= waitUntil && e.expiresAt > this.#nowMs()) {
        throw new PairdbError('IDEMPOTENCY_KEY_IN_USE', 'the same request is still in flight', { retryAfterSeconds: 1 });
      }
    }
  }

  /** Stores the response of a successful first execution. */
  complete(scope: string, owner: number, response: R): void {
    const e = this.#map.get(scope);
    if (!e || e.owner !== owner) return; // our lock lapsed and someone else owns it now
    e.state = 'done';
    e.response = response;
    e.expiresAt = this.#nowMs() + this.#ttlMs;
    this.#wake(e);
  }

  /** Drops the record of a failed execution so a retry may run. */
  release(scope: string, owner: number): void {
    const e = this.#map.get(scope);
    if (!e || e.owner !== owner) return;
    this.#map.delete(scope);
    this.#wake(e);
  }

  #wake(e: Entry<R>): void {
    const ws = e.waiters;
    e.waiters = [];
    for (const w of ws) w();
  }

  #evict(): void {
    // Oldest insertions first; in-flight records are skipped (their owners still need them).
    if (this.#map.size <= this.#max) return;
    for (const [k, e] of this.#map) {
      if (this.#map.size <= this.#max) break;
      if (e.state === 'done') this.#map.delete(k);
    }
  }
}
