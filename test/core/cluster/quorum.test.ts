import { describe, expect, it } from 'vitest';
import { QuorumTracker, levelFromWire, required } from '../../../src/core/cluster/quorum.js';

describe('required', () => {
  const table: Record<number, [number, number, number]> = {
    1: [1, 1, 1],
    2: [1, 2, 2],
    3: [1, 2, 3],
    4: [1, 3, 4],
    5: [1, 3, 5],
  };
  for (const [rf, [one, quorum, all]] of Object.entries(table)) {
    it(`gives one=${one}, quorum=${quorum}, all=${all} for rf ${rf}`, () => {
      expect(required('one', Number(rf))).toBe(one);
      expect(required('quorum', Number(rf))).toBe(quorum);
      expect(required('all', Number(rf))).toBe(all);
    });
  }
});

describe('levelFromWire', () => {
  it('maps unset to quorum and rejects unknown values with INVALID_REQUEST', () => {
    expect(levelFromWire('CONSISTENCY_UNSPECIFIED')).toBe('quorum');
    expect(levelFromWire(undefined)).toBe('quorum');
    expect(levelFromWire('CONSISTENCY_ONE')).toBe('one');
    expect(levelFromWire('CONSISTENCY_ALL')).toBe('all');
    expect(levelFromWire(3)).toBe('all');
    expect(() => levelFromWire(7)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('QuorumTracker', () => {
  it('succeeds as soon as the required acks arrive, before the rest answer', () => {
    const q = new QuorumTracker(2, 3);
    expect(q.ack()).toBe('pending');
    expect(q.ack()).toBe('success');
    expect(q.settled).toBe(false);
    expect(q.fail()).toBe('success');
    expect(q.settled).toBe(true);
  });

  it('turns impossible once the outstanding counted replicas cannot make up the rest', () => {
    const q = new QuorumTracker(3, 3);
    expect(q.ack()).toBe('pending');
    expect(q.fail()).toBe('impossible');
    const q2 = new QuorumTracker(2, 3);
    expect(q2.fail()).toBe('pending');
    expect(q2.fail()).toBe('impossible');
  });

  it('does not count acks of uncounted replicas', () => {
    const q = new QuorumTracker(2, 2, 1);
    expect(q.ack(false)).toBe('pending');
    expect(q.ack()).toBe('pending');
    expect(q.fail()).toBe('impossible');
    expect(q.settled).toBe(true);
  });

  it('is impossible from the start when fewer counted replicas than required were reachable', () => {
    expect(new QuorumTracker(2, 1).state).toBe('impossible');
    expect(new QuorumTracker(1, 1).state).toBe('pending');
  });

  for (let rf = 1; rf <= 5; rf++) {
    for (const level of ['one', 'quorum', 'all'] as const) {
      it(`with rf ${rf} at ${level} succeeds exactly when failures ≤ rf − required`, () => {
        const need = required(level, rf);
        for (let failures = 0; failures <= rf; failures++) {
          const q = new QuorumTracker(need, rf);
          for (let i = 0; i < failures; i++) q.fail();
          for (let i = failures; i < rf; i++) q.ack();
          expect(q.state).toBe(failures <= rf - need ? 'success' : 'impossible');
        }
      });
    }
  }
});
