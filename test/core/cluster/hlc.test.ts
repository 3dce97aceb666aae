import { describe, expect, it } from 'vitest';
import { FLOOR_HEADROOM, Hlc } from '../../../src/core/cluster/hlc.js';
import { clockFrom, compareClocks } from '../../../src/core/model/vector-clock.js';

describe('Hlc', () => {
  it('follows wall time in microsecond units', () => {
    const h = new Hlc({ nowMs: () => 1764000001000 });
    expect(h.next(0)).toBe(1764000001000000);
    expect(h.next(0)).toBe(1764000001000001);
  });

  it('stays above a context from a coordinator whose clock runs 4 s fast (cluster.md §5)', () => {
    const h = new Hlc({ nowMs: () => 1764000001000 });
    const c = h.increment(clockFrom({ c1: 1764000005000000 }), 'c2');
    expect(c).toEqual(clockFrom({ c1: 1764000005000000, c2: 1764000005001000 }));
    expect(Math.floor(c[1]!.counter / 1000)).toBe(1764000005001);
  });

  it('never goes backwards when the wall clock does', () => {
    let now = 2_000_000;
    const h = new Hlc({ nowMs: () => now });
    const a = h.next(0);
    now = 1_000_000;
    const b = h.next(0);
    expect(b).toBe(a + 1);
  });

  it('makes a clock that dominates its context', () => {
    const h = new Hlc({ nowMs: () => 1000 });
    const ctx = clockFrom({ c1: 7, c2: 5_000_000_000 });
    const c = h.increment(ctx, 'c1');
    expect(compareClocks(c, ctx)).toBe('AFTER');
    expect(c.find((e) => e.actor === 'c1')!.counter).toBe(5_000_001_000);
  });

  it('restarts above a persisted floor even with a slower wall clock', () => {
    const first = new Hlc({ nowMs: () => 5_000 });
    first.next(0);
    const floor = first.persistFloor();
    expect(floor).toBe(5_000_000 + FLOOR_HEADROOM);
    const second = new Hlc({ nowMs: () => 4_000, floor });
    expect(second.next(0)).toBe(floor + 1);
  });

  it('asks for an early save when a dot passes the persisted floor, once until it is marked', () => {
    let asked = 0;
    const h = new Hlc({ nowMs: () => 1_000, floor: 10_000_000, onFloorNeeded: () => asked++ });
    // The first dot is above the loaded floor: it must be covered by a new save before a crash could lose it.
    h.next(0);
    h.next(0);
    expect(asked).toBe(1);
    h.markPersisted(h.persistFloor());
    expect(h.dirty).toBe(false);
    h.next(0); // within the headroom
    expect(asked).toBe(1);
    expect(h.dirty).toBe(true);
    h.next(50_000_000_000); // a context far ahead jumps past the headroom
    h.next(0);
    expect(asked).toBe(2);
    h.markPersisted(h.persistFloor());
    expect(asked).toBe(2);
  });
});
