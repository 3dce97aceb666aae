import { describe, expect, it } from 'vitest';
import { dotActor } from '../../../src/core/cluster/dot-actor.js';
import { type Clock, clockFrom, compareClocks, withCounter } from '../../../src/core/model/vector-clock.js';

const v = (c: Record<string, number>): { clock: Clock } => ({ clock: clockFrom(c) });

describe('dotActor', () => {
  it('uses the coordinator itself when the context covers every stored version', () => {
    expect(dotActor('c1', clockFrom({ c1: 5 }), [v({ c1: 5 }), v({ c1: 3 })])).toBe('c1');
    expect(dotActor('c1', clockFrom({}), [])).toBe('c1');
  });

  it('moves the dot off c1 when an unseen version exceeds the context only on c1, keeping it concurrent', () => {
    const stored = v({ c1: 7 });
    const ctx = clockFrom({});
    const actor = dotActor('c1', ctx, [stored]);
    expect(actor).toBe('c1.1');
    const next = withCounter(ctx, actor, 9);
    expect(compareClocks(next, stored.clock)).toBe('CONCURRENT');
  });

  it('keeps c1 when the unseen version exceeds the context on another actor too', () => {
    expect(dotActor('c1', clockFrom({ c1: 2 }), [v({ c1: 7, c2: 4 })])).toBe('c1');
  });

  it('finds an actor that keeps every unseen version concurrent', () => {
    const stored = [v({ c1: 7 }), v({ 'c1.1': 8 }), v({ c1: 2, 'c1.2': 9 })];
    const ctx = clockFrom({ c1: 2 });
    const actor = dotActor('c1', ctx, stored);
    expect(actor).toBe('c1.3');
    const next = withCounter(ctx, actor, 10);
    for (const s of stored) expect(compareClocks(next, s.clock)).toBe('CONCURRENT');
  });

  it('stays within the 128-byte actor limit for a long coordinator id', () => {
    const self = 'c'.repeat(128);
    const actor = dotActor(self, clockFrom({}), [v({ [self]: 3 })]);
    expect(actor).toHaveLength(128);
    expect(actor.endsWith('.1')).toBe(true);
  });
});
