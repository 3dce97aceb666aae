import { TokenBucket, type RateDecision } from './token-bucket.js';

/** The two classes of §6: `write` = POST and DELETE /v1/key-value, `read` = GET. */
export type RateClass = 'read' | 'write';

/**
 * In-process buckets per (tenant, class). A bucket that has refilled completely equals a new one, so `sweep()`
 * drops those and memory stays proportional to the recently active tenants.
 */
export class RateLimiter {
  readonly #now: () => number;
  readonly #read = new Map<string, TokenBucket>();
  readonly #write = new Map<string, TokenBucket>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Charges one request of `cls` to `tenant` whose limit is `perMinute` (≥ 1). */
  take(tenant: string, cls: RateClass, perMinute: number): RateDecision {
    const map = cls === 'write' ? this.#write : this.#read;
    const now = this.#now();
    let b = map.get(tenant);
    if (b === undefined) {
      b = new TokenBucket(perMinute, now);
      map.set(tenant, b);
    } else if (b.capacity !== perMinute) {
      b.setCapacity(perMinute, now);
    }
    return b.take(now);
  }

  /** Forgets full buckets; returns how many remain. */
  sweep(): number {
    const now = this.#now();
    for (const map of [this.#read, this.#write]) {
      for (const [tenant, b] of map) if (b.isFullAt(now)) map.delete(tenant);
    }
    return this.#read.size + this.#write.size;
  }
}
