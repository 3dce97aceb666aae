/**
 * A token bucket of http-api.md §6: capacity C = the per-minute limit, continuous refill of C/60 tokens per second,
 * new buckets full; a request needs ≥ 1 token and costs 1. Pure: the caller passes the clock.
 */

export interface RateDecision {
  readonly allowed: boolean;
  /** X-RateLimit-Limit: the capacity C. */
  readonly limit: number;
  /** X-RateLimit-Remaining: whole tokens left (0 on a refusal). */
  readonly remaining: number;
  /** X-RateLimit-Reset: epoch seconds, rounded up, when the bucket is full again. */
  readonly resetEpochSeconds: number;
  /** Retry-After on a refusal: seconds until one token, rounded up, at least 1. */
  readonly retryAfterSeconds: number;
}

export class TokenBucket {
  #capacity: number;
  #tokens: number;
  #updatedMs: number;

  constructor(capacity: number, nowMs: number) {
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#updatedMs = nowMs;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Tokens available at `nowMs` (fractional). */
  tokensAt(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** True when the bucket would be full at `nowMs`, i.e. indistinguishable from a new one. */
  isFullAt(nowMs: number): boolean {
    return this.tokensAt(nowMs) >= this.#capacity;
  }

  /**
   * Applies a new limit at once (§6 "limit changes apply at once"): the refill rate follows the new capacity and
   * the tokens are clamped to it; a raised limit does not mint tokens.
   */
  setCapacity(capacity: number, nowMs: number): void {
    if (capacity === this.#capacity) return;
    this.#refill(nowMs);
    this.#capacity = capacity;
    if (this.#tokens > capacity) this.#tokens = capacity;
  }

  /** Takes one token if available. */
  take(nowMs: number): RateDecision {
    this.#refill(nowMs);
    const cap = this.#capacity;
    const perMs = cap / 60_000;
    const allowed = this.#tokens >= 1;
    if (allowed) this.#tokens -= 1;
    const tokens = this.#tokens;
    const fullInMs = (cap - tokens) / perMs;
    return {
      allowed,
      limit: cap,
      remaining: allowed ? Math.floor(tokens) : 0,
      resetEpochSeconds: Math.ceil((nowMs + fullInMs) / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
    };
  }

  #refill(nowMs: number): void {
    const elapsed = nowMs - this.#updatedMs;
    if (elapsed <= 0) return;
    this.#updatedMs = nowMs;
    const t = this.#tokens + (elapsed * this.#capacity) / 60_000;
    this.#tokens = t > this.#capacity ? this.#capacity : t;
  }
}
