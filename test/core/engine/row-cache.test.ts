import { describe, expect, it } from 'vitest';
import { PairdbError } from '../../../src/core/errors.js';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { CountMinSketch, hashKey, nextPowerOfTwo } from '../../../src/core/engine/count-min-sketch.js';
import { versionSetSize } from '../../../src/core/engine/memtable.js';
import { RowCache, rowWeight } from '../../../src/core/engine/row-cache.js';
import { ver } from './helpers.js';
import { prng } from './sstable-helpers.js';

/** A cache of numbers whose value is its own weight: lets tests pick exact weights. */
function numCache(capacity: number): RowCache<number> {
  return new RowCache<number>(capacity, { weigh: (_k, v) => v });
}

/** Read-through access as the engine does it: get, and on a miss fill. Returns whether it hit. */
function access<V>(c: RowCache<V>, key: string, value: V): boolean {
  if (c.get(key) !== undefined) return true;
  c.set(key, value);
  return false;
}

/** Every structural invariant of §7, checked the slow way (walks the lists); returns the first broken one. */
function brokenInvariant(c: RowCache<number>): string | undefined {
  const rb = c.regionBytes();
  if (c.bytes !== rb.window + rb.probation + rb.protected) return 'bytes ≠ Σ regions';
  if (c.bytes > c.capacity) return `bytes ${c.bytes} > capacity ${c.capacity}`;
  if (rb.window > c.windowCapacity) return 'window over budget';
  if (rb.probation + rb.protected > c.mainCapacity) return 'main over budget';
  if (rb.protected > c.protectedCapacity) return 'protected over budget';
  let n = 0;
  for (const region of ['window', 'probation', 'protected'] as const) {
    for (const k of c.keysOf(region)) {
      if (c.regionOf(k) !== region) return `${k} listed in ${region} but mapped to ${c.regionOf(k)}`;
      n++;
    }
  }
  if (n !== c.size) return `lists hold ${n} entries, map ${c.size}`;
  return undefined;
}

function checkInvariants(c: RowCache<number>): void {
  expect(brokenInvariant(c)).toBeUndefined();
}

describe('CountMinSketch', () => {
  it('width is the next power of two ≥ capacity/256', () => {
    expect(CountMinSketch.widthFor(128 * 1024 * 1024)).toBe(524_288);
    expect(CountMinSketch.widthFor(100_000)).toBe(512); // 390.6 → 512
    expect(CountMinSketch.widthFor(256 * 1024)).toBe(1024);
    expect(CountMinSketch.widthFor(1)).toBe(1);
    expect(nextPowerOfTwo(1025)).toBe(2048);
    expect(() => new CountMinSketch(3)).toThrow(RangeError);
    // 4 rows × width × 4 bits.
    expect(new CountMinSketch(1024).byteLength).toBe(2048);
  });

  it('counts accesses, saturates at 15 (4-bit counters)', () => {
    const s = new CountMinSketch(1024);
    const h = hashKey('acme\0user:1');
    expect(s.frequency(h)).toBe(0);
    for (let i = 0; i < 5; i++) s.increment(h);
    expect(s.frequency(h)).toBe(5);
    for (let i = 0; i < 40; i++) s.increment(h);
    expect(s.frequency(h)).toBe(15);
    // A neighbouring nibble is untouched by saturation (no carry into the next counter).
    expect(s.frequency(hashKey('acme\0user:2'))).toBe(0);
  });

  it('halves every counter after 10 × width increments', () => {
    const width = 64;
    const s = new CountMinSketch(width);
    expect(s.sampleSize).toBe(640);
    const hot = hashKey('hot');
    const warm = hashKey('warm');
    for (let i = 0; i < 15; i++) s.increment(hot);
    for (let i = 0; i < 6; i++) s.increment(warm);
    expect(s.frequency(hot)).toBe(15);
    expect(s.frequency(warm)).toBeGreaterThanOrEqual(6);
    const before = s.frequency(warm);
    // Fill the sample with other keys; the 640th increment halves.
    let i = 0;
    while (s.increments < s.sampleSize - 1) s.increment(hashKey(`filler:${i++}`));
    expect(s.halvings).toBe(0);
    const hotBefore = s.frequency(hot);
    const warmBefore = s.frequency(warm);
    s.increment(hashKey(`filler:${i++}`));
    expect(s.halvings).toBe(1);
    expect(s.increments).toBe(0);
    expect(s.frequency(hot)).toBe(hotBefore >> 1);
    expect(s.frequency(warm)).toBe(warmBefore >> 1);
    expect(before).toBeLessThanOrEqual(warmBefore);
  });

  it('reset zeroes the counters', () => {
    const s = new CountMinSketch(16);
    s.increment(hashKey('a'));
    s.reset();
    expect(s.frequency(hashKey('a'))).toBe(0);
    expect(s.increments).toBe(0);
  });
});

describe('RowCache sizing and limits', () => {
  it('splits the capacity: window 1 %, main 99 %, protected 80 % of main, entries ≤ capacity/16', () => {
    const c = numCache(100_000);
    expect(c.windowCapacity).toBe(1000);
    expect(c.mainCapacity).toBe(99_000);
    expect(c.protectedCapacity).toBe(79_200);
    expect(c.maxEntryBytes).toBe(6250);
    expect(c.sketch!.width).toBe(512);
  });

  it('rejects a negative or fractional capacity with CONFIG_INVALID', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      let err: unknown;
      try {
        new RowCache(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PairdbError);
      expect((err as PairdbError).code).toBe('CONFIG_INVALID');
    }
  });

  it('capacity 0 disables: every get misses, set/update do nothing', () => {
    const c = numCache(0);
    c.set('a', 0);
    expect(c.get('a')).toBeUndefined();
    expect(c.update('a', () => 0)).toBe(false);
    expect(c.delete('a')).toBe(false);
    expect(c.size).toBe(0);
    expect(c.bytes).toBe(0);
    expect(c.hits).toBe(0);
    expect(c.misses).toBe(1);
    expect(c.hitRate).toBe(0);
    expect(c.sketch).toBeUndefined();
    expect(c.frequency('a')).toBe(0);
  });

  it('never admits an entry heavier than capacity/16; one of exactly capacity/16 is admitted', () => {
    const c = numCache(16_000);
    c.set('big', 1001);
    expect(c.has('big')).toBe(false);
    expect(c.rejections).toBe(1);
    c.set('edge', 1000);
    expect(c.has('edge')).toBe(true);
    expect(c.bytes).toBe(1000);
    // Replacing a cached value by an oversized one removes the entry; so does growing it in place.
    c.set('edge', 1001);
    expect(c.has('edge')).toBe(false);
    expect(c.bytes).toBe(0);
    c.set('e2', 10);
    expect(c.update('e2', () => 2000)).toBe(false);
    expect(c.has('e2')).toBe(false);
    expect(c.bytes).toBe(0);
  });
});

describe('RowCache of version sets', () => {
  const key = 'acme\0user:1';
  const v1 = ver({ writer: 'c1', ht: 1_700_000_000_000_001, value: '"one"' });
  const v2 = ver({ writer: 'c2', ht: 1_700_000_000_000_002, value: '"two"' });

  it('weight = utf8 ckey length + encoded set length + 64', () => {
    const set = reduce([v1, v2]);
    expect(rowWeight(key, set)).toBe(Buffer.byteLength(key) + versionSetSize(set) + 64);
    expect(rowWeight('acme\0ключ', [])).toBe(Buffer.byteLength('acme\0ключ', 'utf8') + 1 + 64);
    const c = new RowCache(1 << 20);
    c.set(key, set);
    expect(c.bytes).toBe(rowWeight(key, set));
    expect(c.get(key)).toBe(set);
  });

  it('caches an empty set (an absent key) as a hit, distinct from a miss', () => {
    const c = new RowCache(1 << 20);
    c.set('acme\0absent', []);
    const got = c.get('acme\0absent');
    expect(got).toEqual([]);
    expect(c.hits).toBe(1);
    expect(c.get('acme\0other')).toBeUndefined();
    expect(c.misses).toBe(1);
    expect(c.hitRate).toBe(0.5);
  });

  it('update applies Reduce(cached ∪ {v}) in place only when the key is cached', () => {
    const c = new RowCache(1 << 20);
    const merge = (v: Version) => (cur: readonly Version[]) => reduce([...cur, v]);
    expect(c.update(key, merge(v1))).toBe(false);
    expect(c.has(key)).toBe(false);
    c.set(key, [v1]);
    expect(c.update(key, merge(v2))).toBe(true);
    const got = c.get(key)!;
    expect(got).toEqual(reduce([v1, v2]));
    expect(c.bytes).toBe(rowWeight(key, got));
    // A dominating write collapses the siblings.
    const v3 = ver({ writer: 'c1', ht: 1_700_000_000_000_009, clock: { c2: 1_700_000_000_000_002 }, value: '"three"' });
    c.update(key, merge(v3));
    expect(c.get(key)).toEqual([v3]);
    expect(c.bytes).toBe(rowWeight(key, [v3]));
  });

  it('delete and clear drop entries; the counters keep counting', () => {
    const c = new RowCache(1 << 20);
    c.set('a\0x', [v1]);
    c.set('a\0y', [v2]);
    c.get('a\0x');
    expect(c.delete('a\0x')).toBe(true);
    expect(c.delete('a\0x')).toBe(false);
    expect(c.get('a\0x')).toBeUndefined();
    c.clear();
    expect(c.size).toBe(0);
    expect(c.bytes).toBe(0);
    expect(c.get('a\0y')).toBeUndefined();
    expect(c.hits).toBe(1);
    expect(c.misses).toBe(2);
    expect(c.frequency('a\0y')).toBe(1); // cleared sketch, then the get above
  });
});

describe('RowCache W-TinyLFU moves', () => {
  /** capacity 100 000 with 1000-byte entries: window holds 1 entry, main 99, protected 79. */
  function filled(): RowCache<number> {
    const c = numCache(100_000);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, 1000);
    return c;
  }

  it('every get (hit or miss) and every set counts as an access; update, has and delete do not', () => {
    const c = numCache(100_000);
    c.get('a');
    expect(c.frequency('a')).toBe(1);
    c.set('a', 100);
    expect(c.frequency('a')).toBe(2);
    c.get('a');
    c.get('a');
    expect(c.frequency('a')).toBe(4);
    c.update('a', () => 200);
    c.has('a');
    c.delete('a');
    expect(c.frequency('a')).toBe(4);
  });

  it('new entries land in the window; leaving it they join probation while main has room', () => {
    const c = numCache(100_000);
    c.set('a', 1000);
    expect(c.regionOf('a')).toBe('window');
    c.set('b', 1000);
    expect(c.regionOf('b')).toBe('window');
    expect(c.regionOf('a')).toBe('probation');
    const c2 = filled();
    expect(c2.keysOf('window')).toEqual(['k99']);
    expect(c2.keysOf('probation')).toHaveLength(99);
    expect(c2.keysOf('probation').at(-1)).toBe('k0');
    expect(c2.bytes).toBe(100_000);
    expect(c2.evictions + c2.rejections).toBe(0);
  });

  it('a candidate no more frequent than the probation tail is dropped', () => {
    const c = filled();
    expect(c.frequency('k99')).toBe(c.frequency('k0'));
    c.set('cold', 1000);
    expect(c.has('k99')).toBe(false);
    expect(c.has('k0')).toBe(true);
    expect(c.regionOf('cold')).toBe('window');
    expect(c.rejections).toBe(1);
    expect(c.evictions).toBe(0);
    expect(c.bytes).toBe(100_000);
  });

  it('a candidate more frequent than the probation tail evicts tails until it fits', () => {
    const c = filled();
    for (let i = 0; i < 3; i++) expect(c.get('hot')).toBeUndefined(); // misses count as accesses
    c.set('hot', 1000);
    c.set('next', 1000); // pushes k99 out (dropped: freq 1 vs k0's 1), then 'hot' is still in the window
    expect(c.regionOf('hot')).toBe('probation');
    // 'next' made 'hot' leave the window: hot (freq 4) beat k0 (freq 1).
    expect(c.has('k0')).toBe(false);
    expect(c.evictions).toBe(1);
    expect(c.keysOf('probation')[0]).toBe('hot');
    expect(c.bytes).toBeLessThanOrEqual(100_000);

    // A heavy candidate (3000 B) must evict three 1000-byte tails.
    const d = filled();
    for (let i = 0; i < 5; i++) d.get('heavy');
    d.set('heavy', 3000);
    d.set('x', 10); // window 1000: heavy already left as a candidate when it was set (3000 > 1000)
    expect(d.regionOf('heavy')).toBe('probation');
    expect(['k0', 'k1', 'k2'].map((k) => d.has(k))).toEqual([false, false, false]);
    expect(d.has('k3')).toBe(true);
    expect(d.bytes).toBeLessThanOrEqual(100_000);
  });

  it('a probation hit promotes to protected; protected overflow demotes its tail to the probation head', () => {
    const c = filled();
    expect(c.get('k5')).toBe(1000);
    expect(c.regionOf('k5')).toBe('protected');
    // Protected holds 79 entries of 1000 B (79 200 B budget). Promote k10..k88 (79 more, 80 in all).
    for (let i = 10; i < 89; i++) c.get(`k${i}`);
    expect(c.regionBytes().protected).toBeLessThanOrEqual(c.protectedCapacity);
    expect(c.keysOf('protected')).toHaveLength(79);
    // k5 was the least recently promoted: demoted to the head of probation.
    expect(c.regionOf('k5')).toBe('probation');
    expect(c.keysOf('probation')[0]).toBe('k5');
    expect(c.keysOf('protected')[0]).toBe('k88');
    // A protected hit moves it to the protected head; a window hit stays in the window.
    c.get('k10');
    expect(c.keysOf('protected')[0]).toBe('k10');
    c.get('k99');
    expect(c.regionOf('k99')).toBe('window');
    expect(c.evictions + c.rejections).toBe(0);
  });

  it('update keeps the position and restores budgets when the entry grows', () => {
    const c = filled();
    for (let i = 1; i < 80; i++) c.get(`k${i}`); // protected full of k1..k79
    const probationBefore = c.keysOf('probation');
    expect(c.update('k30', (v) => v + 0)).toBe(true);
    expect(c.keysOf('probation')).toEqual(probationBefore);
    // Growing a protected entry past the protected budget demotes the protected tail.
    const protTail = c.keysOf('protected').at(-1)!;
    expect(c.update('k79', () => 1500)).toBe(true);
    expect(c.regionOf(protTail)).toBe('probation');
    // Main is now 500 B over: the probation tail is evicted (no contest).
    expect(c.bytes).toBeLessThanOrEqual(100_000);
    expect(c.regionBytes().probation + c.regionBytes().protected).toBeLessThanOrEqual(c.mainCapacity);
    expect(c.has('k0')).toBe(false);
    expect(c.evictions).toBe(1);
    checkInvariants(c);
  });
});

describe('RowCache under random operations (seeded)', () => {
  for (let seed = 1; seed <= 16; seed++) {
    it(`seed ${seed}: the byte budget and region budgets always hold, and a hit returns the latest value`, () => {
      const rand = prng(seed);
      const capacity = [16_000, 50_000, 100_000, 7_777][seed % 4]!;
      const c = numCache(capacity);
      const latest = new Map<string, number>();
      const keys = 40 + Math.floor(rand() * 400);
      const weight = (): number => 20 + Math.floor(rand() * (c.maxEntryBytes + 200)); // some oversized
      for (let op = 0; op < 2500; op++) {
        // Skewed key choice so some keys are hot.
        const k = `k${Math.floor(keys * rand() * rand())}`;
        const r = rand();
        if (r < 0.5) {
          const got = c.get(k);
          if (got !== undefined && got !== latest.get(k)) expect.fail(`seed ${seed} op ${op}: stale value for ${k}`);
          else {
            const w = latest.get(k) ?? weight();
            latest.set(k, w);
            c.set(k, w);
          }
        } else if (r < 0.7) {
          const w = weight();
          latest.set(k, w);
          c.set(k, w);
          if (w > c.maxEntryBytes) expect(c.has(k)).toBe(false);
        } else if (r < 0.9) {
          const w = weight();
          const had = c.has(k);
          const stillCached = c.update(k, () => w);
          latest.set(k, w);
          if (!had) expect(stillCached).toBe(false);
          expect(c.has(k)).toBe(stillCached);
        } else if (r < 0.995) {
          c.delete(k);
          expect(c.has(k)).toBe(false);
        } else {
          c.clear();
        }
        const broken = brokenInvariant(c);
        if (broken) expect.fail(`seed ${seed} op ${op}: ${broken}`);
        let sum = 0;
        for (const region of ['window', 'probation', 'protected'] as const) {
          for (const key of c.keysOf(region)) sum += latest.get(key)!;
        }
        if (c.bytes !== sum) expect.fail(`seed ${seed} op ${op}: bytes ${c.bytes} ≠ Σ latest weights ${sum}`);
      }
    });
  }
});

describe('RowCache per-operation cost is flat', () => {
  /** List link/unlink operations plus sketch halving word operations, per cache operation. */
  function workPerOp(entries: number, seed: number): number {
    const rand = prng(seed);
    const c = numCache(entries * 100);
    const sketch = c.sketch!;
    const keySpace = entries * 2;
    const ops = entries * 3;
    for (let i = 0; i < ops; i++) {
      const k = `k${Math.floor(keySpace * rand() * rand())}`;
      const r = rand();
      if (r < 0.7) access(c, k, 100);
      else if (r < 0.9) c.update(k, () => 100);
      else c.delete(k);
    }
    expect(c.size).toBeGreaterThan(entries * 0.5);
    const halvingWords = sketch.halvings * Math.ceil((4 * sketch.width) / 8);
    return (c.linkOps + halvingWords) / ops;
  }

  it('from 10^3 to 10^5 entries the amortized work per operation stays bounded by the same constant', () => {
    const small = workPerOp(1_000, 7);
    const large = workPerOp(100_000, 7);

    // Worst single op: unlink + push + a demotion or an admission; amortized it is a handful of moves.
    expect(small).toBeLessThan(4);
    expect(large).toBeLessThan(4);
    expect(large).toBeLessThan(small * 1.5 + 0.5);
  });
});

describe('RowCache scan resistance', () => {
  it('a one-off scan of many cold keys leaves a hot set hit ratio ≥ 90 %', () => {
    const rand = prng(42);
    const c = numCache(1 << 20); // ~1000 entries of 1000 B
    const hot = Array.from({ length: 300 }, (_, i) => `acme\0hot:${i}`);
    // Warm up: the hot set is read repeatedly.
    for (let round = 0; round < 20; round++) for (const k of hot) access(c, k, 1000);
    // A one-off scan of 50 000 cold keys (50× the cache), interleaved with the normal hot traffic.
    let hotHits = 0;
    let hotReads = 0;
    for (let i = 0; i < 50_000; i++) {
      access(c, `acme\0cold:${i}`, 1000);
      if (i % 5 === 0) {
        hotReads++;
        if (access(c, hot[Math.floor(rand() * hot.length)]!, 1000)) hotHits++;
      }
    }
    expect(hotHits / hotReads).toBeGreaterThanOrEqual(0.9);
    // After the scan, the hot set is still (nearly all) cached.
    let after = 0;
    for (const k of hot) if (c.has(k)) after++;
    expect(after / hot.length).toBeGreaterThanOrEqual(0.9);
    expect(c.bytes).toBeLessThanOrEqual(c.capacity);
    // Most cold keys were refused at the door rather than evicting hot ones.
    expect(c.rejections).toBeGreaterThan(40_000);
  });

  it('a plain LRU of the same size would lose the hot set (the test above can fail)', () => {
    // Same traffic against a window-only view: a set-associative check that the scan really is hostile.
    const lru = new Map<string, number>();
    const cap = (1 << 20) / 1000;
    const touch = (k: string): boolean => {
      const hit = lru.delete(k);
      lru.set(k, 1000);
      if (lru.size > cap) lru.delete(lru.keys().next().value!);
      return hit;
    };
    const rand = prng(42);
    const hot = Array.from({ length: 300 }, (_, i) => `acme\0hot:${i}`);
    for (let round = 0; round < 20; round++) for (const k of hot) touch(k);
    let hits = 0;
    let reads = 0;
    for (let i = 0; i < 50_000; i++) {
      touch(`acme\0cold:${i}`);
      if (i % 5 === 0) {
        reads++;
        if (touch(hot[Math.floor(rand() * hot.length)]!)) hits++;
      }
    }
    expect(hits / reads).toBeLessThan(0.9);
  });
});
