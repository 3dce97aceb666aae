import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/core/ratelimit/token-bucket.js';
import { RateLimiter } from '../../../src/core/ratelimit/rate-limiter.js';

const T0 = 1_700_000_000_000;

describe('TokenBucket', () => {
  it('starts full and allows exactly C requests in a burst', () => {
    const b = new TokenBucket(3, T0);
    const d = [b.take(T0), b.take(T0), b.take(T0), b.take(T0)];
    expect(d.map((x) => x.allowed)).toEqual([true, true, true, false]);
    expect(d.map((x) => x.remaining)).toEqual([2, 1, 0, 0]);
    expect(d[0]!.limit).toBe(3);
  });

  it('refills C/60 tokens per second, continuously', () => {
    const b = new TokenBucket(60, T0); // one token per second
    for (let i = 0; i < 60; i++) expect(b.take(T0).allowed).toBe(true);
    expect(b.take(T0 + 999).allowed).toBe(false);
    expect(b.take(T0 + 1000).allowed).toBe(true);
    expect(b.take(T0 + 1500).allowed).toBe(false);
  });

  it('reports Retry-After as seconds until one token, rounded up, at least 1', () => {
    const slow = new TokenBucket(1, T0); // one token per minute
    slow.take(T0);
    expect(slow.take(T0).retryAfterSeconds).toBe(60);
    expect(slow.take(T0 + 30_500).retryAfterSeconds).toBe(30);
    const fast = new TokenBucket(6000, T0); // 100 per second
    for (let i = 0; i < 6000; i++) fast.take(T0);
    expect(fast.take(T0).retryAfterSeconds).toBe(1);
  });

  it('reports Reset as the epoch second (rounded up) when the bucket is full again', () => {
    const b = new TokenBucket(60, T0 + 200);
    expect(b.take(T0 + 200).resetEpochSeconds).toBe(Math.ceil((T0 + 200 + 1000) / 1000));
    const full = new TokenBucket(10, T0 + 1);
    expect(full.tokensAt(T0 + 1)).toBe(10);
  });

  it('applies a changed limit at once without minting tokens', () => {
    const b = new TokenBucket(10, T0);
    for (let i = 0; i < 8; i++) b.take(T0);
    b.setCapacity(100, T0);
    expect(b.tokensAt(T0)).toBeCloseTo(2);
    b.setCapacity(1, T0);
    expect(b.tokensAt(T0)).toBeCloseTo(1);
    expect(b.take(T0).limit).toBe(1);
  });
});

describe('RateLimiter', () => {
  it('keeps separate buckets per tenant and class', () => {
    let now = T0;
    const rl = new RateLimiter(() => now);
    expect(rl.take('a', 'write', 1).allowed).toBe(true);
    expect(rl.take('a', 'write', 1).allowed).toBe(false);
    expect(rl.take('a', 'read', 1).allowed).toBe(true);
    expect(rl.take('b', 'write', 1).allowed).toBe(true);
    now += 60_000;
    expect(rl.take('a', 'write', 1).allowed).toBe(true);
  });

  it('forgets buckets once they are full again', () => {
    let now = T0;
    const rl = new RateLimiter(() => now);
    rl.take('a', 'write', 60);
    rl.take('b', 'read', 60);
    expect(rl.sweep()).toBe(2);
    now += 1000;
    expect(rl.sweep()).toBe(0);
  });
});
