import { describe, expect, it } from 'vitest';
import { TenantCache } from '../../../src/core/cluster/tenant-cache.js';

describe('TenantCache', () => {
  it('serves an entry fresh within its TTL and stale after it', () => {
    let now = 0;
    const c = new TenantCache<number>({ ttlMs: 100, nowMs: () => now });
    c.set('a', 1);
    expect(c.get('a')).toEqual({ value: 1, fresh: true });
    now = 100;
    expect(c.get('a')).toEqual({ value: 1, fresh: false });
    expect(c.get('b')).toBeUndefined();
  });

  it('evicts the oldest entry past its capacity and drops everything on clear', () => {
    const c = new TenantCache<number>({ maxEntries: 2 });
    c.set('a', 1);
    c.set('b', 2);
    c.set('a', 3); // refreshed: now the newest
    c.set('c', 4);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.value).toBe(3);
    expect(c.size).toBe(2);
    c.clear();
    expect(c.size).toBe(0);
  });
});
