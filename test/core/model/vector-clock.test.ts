import { describe, expect, it } from 'vitest';
import {
  type Clock,
  clockFrom,
  clockToObject,
  compareClocks,
  compareUtf8,
  counterOf,
  maxCounter,
  mergeAll,
  mergeClocks,
  withCounter,
} from '../../../src/core/model/vector-clock.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomClock(rnd: () => number): Clock {
  const obj: Record<string, number> = {};
  for (const a of ['c1', 'c2', 'c3', 'c4']) if (rnd() < 0.6) obj[a] = 1 + Math.floor(rnd() * 3);
  return clockFrom(obj);
}

describe('compareClocks', () => {
  it('orders the cluster.md §5 examples', () => {
    expect(compareClocks(clockFrom({ c1: 2, c2: 1 }), clockFrom({ c1: 2, c2: 3 }))).toBe('BEFORE');
    expect(compareClocks(clockFrom({ c1: 2, c2: 3 }), clockFrom({ c1: 2, c2: 1 }))).toBe('AFTER');
    expect(compareClocks(clockFrom({ c1: 3 }), clockFrom({ c1: 2, c2: 1 }))).toBe('CONCURRENT');
    expect(clockToObject(mergeClocks(clockFrom({ c1: 3 }), clockFrom({ c1: 2, c2: 1 })))).toEqual({ c1: 3, c2: 1 });
  });

  it('treats a missing actor as 0', () => {
    expect(compareClocks(clockFrom({ c1: 1 }), clockFrom({ c1: 1, c2: 1 }))).toBe('BEFORE');
    expect(compareClocks([], clockFrom({ c1: 1 }))).toBe('BEFORE');
    expect(compareClocks([], [])).toBe('EQUAL');
    expect(compareClocks(clockFrom({ a: 5, b: 5 }), clockFrom({ b: 5, a: 5 }))).toBe('EQUAL');
  });

  it('is antisymmetric and agrees with merge (property, seeded)', () => {
    const rnd = seeded(42);
    const flip = { BEFORE: 'AFTER', AFTER: 'BEFORE', EQUAL: 'EQUAL', CONCURRENT: 'CONCURRENT' } as const;
    for (let i = 0; i < 2000; i++) {
      const a = randomClock(rnd);
      const b = randomClock(rnd);
      const ab = compareClocks(a, b);
      expect(compareClocks(b, a)).toBe(flip[ab]);
      const m = mergeClocks(a, b);
      // The merge is an upper bound of both, and equals the bigger one when they are ordered.
      expect(['AFTER', 'EQUAL']).toContain(compareClocks(m, a));
      expect(['AFTER', 'EQUAL']).toContain(compareClocks(m, b));
      if (ab === 'AFTER' || ab === 'EQUAL') expect(compareClocks(m, a)).toBe('EQUAL');
      expect(clockToObject(mergeClocks(b, a))).toEqual(clockToObject(m));
    }
  });
});

describe('vector clock helpers', () => {
  it('clockFrom sorts by UTF-8 bytes and drops zero counters', () => {
    const c = clockFrom({ b: 1, a: 2, z: 0, '\u{1F600}': 1, '\uFF61': 1 });
    expect(c.map((e) => e.actor)).toEqual(['a', 'b', '\uFF61', '\u{1F600}']);
  });

  it('compareUtf8 agrees with Buffer.compare of the UTF-8 bytes (surrogates sort after U+E000..U+FFFF)', () => {
    const strings = ['', 'a', 'ab', 'b', '\u00e9', '\uFF61', '\u{1F600}', '\u{10FFFF}', 'a\u{1F600}', 'a\uFFFF', '\uD7FF'];
    for (const x of strings) {
      for (const y of strings) {
        const want = Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect([x, y, Math.sign(compareUtf8(x, y))]).toEqual([x, y, want]);
      }
    }
  });

  it('withCounter inserts in order or replaces', () => {
    const c = clockFrom({ a: 1, c: 3 });
    expect(withCounter(c, 'b', 2).map((e) => e.actor)).toEqual(['a', 'b', 'c']);
    expect(clockToObject(withCounter(c, 'c', 9))).toEqual({ a: 1, c: 9 });
    expect(withCounter(c, 'd', 1).map((e) => e.actor)).toEqual(['a', 'c', 'd']);
    expect(withCounter([], 'x', 1)).toEqual([{ actor: 'x', counter: 1 }]);
  });

  it('counterOf, maxCounter and mergeAll', () => {
    const c = clockFrom({ a: 4, b: 7 });
    expect(counterOf(c, 'a')).toBe(4);
    expect(counterOf(c, 'zz')).toBe(0);
    expect(maxCounter(c)).toBe(7);
    expect(maxCounter([])).toBe(0);
    expect(clockToObject(mergeAll([clockFrom({ a: 1 }), clockFrom({ b: 2 }), clockFrom({ a: 3 })]))).toEqual({ a: 3, b: 2 });
  });

  it('keeps counters up to 2^53-1 exact', () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(compareClocks(clockFrom({ a: big }), clockFrom({ a: big - 1 }))).toBe('AFTER');
  });
});
