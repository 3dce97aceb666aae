import { describe, expect, it } from 'vitest';
import { compareClocks } from '../../../src/core/model/vector-clock.js';
import { compareLww, lwwMax, reduce, sameVersionSet, type Version } from '../../../src/core/model/version.js';
import { encodeVersion } from '../../../src/core/model/version-codec.js';
import { encs, ver } from '../engine/helpers.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function shuffle<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Random versions over few actors so that domination, equality and concurrency all occur. */
function randomVersion(rnd: () => number, lww = false): Version {
  const writer = ['c1', 'c2', 'c3'][Math.floor(rnd() * 3)]!;
  const clock: Record<string, number> = {};
  for (const a of ['c1', 'c2', 'c3']) if (a !== writer && rnd() < 0.5) clock[a] = 1 + Math.floor(rnd() * 3);
  return ver({
    writer,
    ht: 1 + Math.floor(rnd() * 3),
    clock,
    value: `"${Math.floor(rnd() * 3)}"`,
    tombstone: rnd() < 0.2,
    lww,
    writeId: String(Math.floor(rnd() * 2)),
  });
}

const hex = (vs: readonly Version[]) => vs.map((v) => encodeVersion(v).toString('hex'));

describe('reduce', () => {
  it('drops a strictly dominated version', () => {
    const old = ver({ writer: 'c1', ht: 1 });
    const newer = ver({ writer: 'c1', ht: 2 });
    expect(hex(reduce([old, newer]))).toEqual(hex([newer]));
    expect(hex(reduce([newer, old]))).toEqual(hex([newer]));
  });

  it('keeps concurrent versions as siblings in canonical (encoding) order', () => {
    const a = ver({ writer: 'c1', ht: 1, value: '"a"' });
    const b = ver({ writer: 'c2', ht: 1, value: '"b"' });
    const out = reduce([b, a]);
    expect(out).toHaveLength(2);
    expect(hex(out)).toEqual([...hex(out)].sort());
  });

  it('keeps the LWW-max of versions with equal clocks', () => {
    const x = ver({ writer: 'c1', ht: 5, value: '"x"' });
    const y = ver({ writer: 'c1', ht: 5, value: '"y"' }); // larger value bytes win
    expect(hex(reduce([x, y]))).toEqual(hex([y]));
    expect(hex(reduce([y, x]))).toEqual(hex([y]));
  });

  it('drops byte-identical duplicates', () => {
    const a = ver({ writer: 'c1', ht: 5 });
    expect(reduce([a, ver({ writer: 'c1', ht: 5 }), a])).toHaveLength(1);
  });

  it('collapses to the LWW-max when any survivor is lww', () => {
    const a = ver({ writer: 'c1', ht: 10, lww: true, value: '"a"' });
    const b = ver({ writer: 'c2', ht: 9, lww: true, value: '"b"' });
    const c = ver({ writer: 'c3', ht: 3, value: '"c"' }); // concurrent, not lww
    expect(hex(reduce([b, c, a]))).toEqual(hex([a]));
  });

  it('gives the same result for every order of the input (property over shuffles, siblings and lww)', () => {
    const rnd = seeded(7);
    for (let round = 0; round < 300; round++) {
      const lww = round % 3 === 0;
      const vs = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => randomVersion(rnd, lww));
      const want = hex(reduce(vs));
      for (let k = 0; k < 5; k++) expect(hex(reduce(shuffle(vs, rnd)))).toEqual(want);
    }
  });

  it('is idempotent and associative over unions in siblings mode (property)', () => {
    const rnd = seeded(11);
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: Math.floor(rnd() * 4) }, () => randomVersion(rnd));
      const b = Array.from({ length: Math.floor(rnd() * 4) }, () => randomVersion(rnd));
      const all = hex(reduce([...a, ...b]));
      expect(hex(reduce(reduce([...a, ...b])))).toEqual(all);
      expect(hex(reduce([...reduce(a), ...b]))).toEqual(all);
      expect(hex(reduce([...reduce(a), ...reduce(b)]))).toEqual(all);
    }
  });

  it('never keeps a version dominated by another survivor', () => {
    const rnd = seeded(3);
    for (let round = 0; round < 300; round++) {
      const out = reduce(Array.from({ length: 6 }, () => randomVersion(rnd)));
      for (const x of out) {
        for (const y of out) {
          if (x === y) continue;
          expect(encs([x])).not.toEqual(encs([y]));
          expect(compareClocks(x.clock, y.clock)).not.toBe('BEFORE');
          expect(compareClocks(x.clock, y.clock)).not.toBe('EQUAL');
        }
      }
    }
  });
});

describe('compareLww', () => {
  it('orders by ht, then writer bytes, then tombstone over value, then value bytes, then write id', () => {
    expect(compareLww(ver({ writer: 'c1', ht: 2 }), ver({ writer: 'c9', ht: 1 }))).toBeGreaterThan(0);
    expect(compareLww(ver({ writer: 'c2', ht: 1 }), ver({ writer: 'c1', ht: 1 }))).toBeGreaterThan(0);
    expect(compareLww(ver({ ht: 1, tombstone: true }), ver({ ht: 1, value: '"zzz"' }))).toBeGreaterThan(0);
    expect(compareLww(ver({ ht: 1, value: '"b"' }), ver({ ht: 1, value: '"a"' }))).toBeGreaterThan(0);
    expect(compareLww(ver({ ht: 1, writeId: 'b' }), ver({ ht: 1, writeId: 'a' }))).toBeGreaterThan(0);
    expect(compareLww(ver({ ht: 1, clock: { c2: 2 } }), ver({ ht: 1, clock: { c2: 1 } }))).not.toBe(0);
    const a = ver({ ht: 3 });
    expect(compareLww(a, ver({ ht: 3 }))).toBe(0);
  });

  it('lwwMax picks the same winner whatever the order', () => {
    const rnd = seeded(5);
    const vs = Array.from({ length: 20 }, () => randomVersion(rnd));
    const want = hex([lwwMax(vs)]);
    for (let i = 0; i < 20; i++) expect(hex([lwwMax(shuffle(vs, rnd))])).toEqual(want);
  });
});

describe('sameVersionSet', () => {
  it('compares reduced sets by encoding', () => {
    const a = ver({ writer: 'c1', ht: 1 });
    const b = ver({ writer: 'c2', ht: 1 });
    expect(sameVersionSet(reduce([a, b]), reduce([ver({ writer: 'c2', ht: 1 }), ver({ writer: 'c1', ht: 1 })]))).toBe(true);
    expect(sameVersionSet([a], [b])).toBe(false);
    expect(sameVersionSet([a], [a, b])).toBe(false);
  });
});
