import { describe, expect, it } from 'vitest';
import { TenantLimitsCache, type TenantLimits } from '../../../src/core/ratelimit/tenant-limits.js';
import { PairdbError } from '../../../src/core/errors.js';

const OPTS = { requestId: 'r', deadlineMs: Number.MAX_SAFE_INTEGER };
const L = (w: number, r = 0): TenantLimits => ({ writesPerMinute: w, readsPerMinute: r });

describe('TenantLimitsCache', () => {
  it('fetches once for concurrent misses and serves the entry until the TTL passes', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new TenantLimitsCache(async () => {
      fetches++;
      return L(fetches);
    }, 1000, () => now);
    const [a, b] = await Promise.all([cache.get('t', OPTS), cache.get('t', OPTS)]);
    expect(a).toEqual(L(1));
    expect(b).toEqual(L(1));
    expect(fetches).toBe(1);
    expect(cache.peek('t')).toEqual(L(1));
    now = 1000;
    expect(cache.peek('t')).toBeUndefined();
    expect(await cache.get('t', OPTS)).toEqual(L(2));
  });

  it('drops the entry on TENANT_NOT_FOUND and does not cache the miss', async () => {
    let exists = false;
    const cache = new TenantLimitsCache(async () => {
      if (!exists) throw new PairdbError('TENANT_NOT_FOUND', 'no');
      return L(5);
    }, 1000);
    await expect(cache.get('t', OPTS)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    exists = true;
    expect(await cache.get('t', OPTS)).toEqual(L(5));
  });

  it('serves stale limits while the metadata path is unavailable, fails without them', async () => {
    let now = 0;
    let up = true;
    const cache = new TenantLimitsCache(async () => {
      if (!up) throw new PairdbError('SERVICE_UNAVAILABLE', 'down');
      return L(7);
    }, 1000, () => now);
    await cache.get('t', OPTS);
    up = false;
    now = 5000;
    expect(await cache.get('t', OPTS)).toEqual(L(7));
    await expect(cache.get('other', OPTS)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('takes limits learned elsewhere at once', () => {
    const cache = new TenantLimitsCache(async () => L(1), 1000, () => 0);
    cache.set('t', L(9, 9));
    expect(cache.peek('t')).toEqual(L(9, 9));
  });
});
