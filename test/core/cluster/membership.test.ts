import { describe, expect, it } from 'vitest';
import { EMPTY_LOAD, Membership, type MemberView, sample } from '../../../src/core/cluster/membership.js';
import { memberFromWire, memberToWire, ringFromWire } from '../../../src/core/cluster/gossip-wire.js';
import { PairdbError } from '../../../src/core/errors.js';
import type * as pb from '../../../src/core/rpc/types.js';

/** The member table of cluster.md §10 with a fake clock: merge order, local liveness timing, ring, fence, left. */

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const RING = [
  { nodeId: 's1', address: '127.0.0.1:1' },
  { nodeId: 's2', address: '127.0.0.1:2' },
  { nodeId: 's3', address: '127.0.0.1:3' },
];

function node(id: string, c: { now: () => number }, generation = 100n): Membership {
  return new Membership({ selfId: id, selfAddress: RING.find((r) => r.nodeId === id)?.address ?? 'x:1', generation, now: c.now });
}

const state = (nodeId: string, generation: bigint, heartbeat: bigint, status: MemberView['status'] = 'alive'): MemberView => ({
  nodeId,
  address: `addr-${nodeId}`,
  generation,
  heartbeat,
  status,
  load: EMPTY_LOAD,
});

describe('Membership', () => {
  it('keeps only its own entry until a ring arrives, then a placeholder per ring member', () => {
    const c = clock();
    const m = node('s1', c);
    m.merge([state('s2', 5n, 1n)]);
    expect(m.members().map((x) => x.nodeId)).toEqual(['s1']);
    expect(m.gossipTargets(3)).toEqual([]);
    expect(m.applyRing(RING, 3n)).toBe(true);
    expect(m.members().map((x) => x.nodeId)).toEqual(['s1', 's2', 's3']);
    expect(m.statusOf('s2')).toBe('alive');
    expect(m.statusOf('s9')).toBeUndefined();
  });

  it('a higher (generation, heartbeat) wins; lower or equal ones change nothing', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    m.merge([state('s2', 10n, 5n)]);
    m.merge([state('s2', 10n, 4n), state('s2', 9n, 99n)]);
    const s2 = () => m.members().find((x) => x.nodeId === 's2')!;
    expect([s2().generation, s2().heartbeat]).toEqual([10n, 5n]);
    m.merge([state('s2', 11n, 0n)]);
    expect([s2().generation, s2().heartbeat]).toEqual([11n, 0n]);
    expect(s2().address).toBe('addr-s2');
  });

  it('judges liveness from locally seen progress: suspect after 5 s, down after 10 s, alive again on progress', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    m.merge([state('s2', 10n, 1n)]);
    c.advance(4_999);
    expect(m.statusOf('s2')).toBe('alive');
    c.advance(1);
    expect(m.statusOf('s2')).toBe('suspect');
    // A copy that does not grow is no progress, whatever the sender thinks of the node.
    m.merge([state('s2', 10n, 1n, 'alive')]);
    c.advance(5_000);
    expect(m.statusOf('s2')).toBe('down');
    m.merge([state('s2', 10n, 2n)]);
    expect(m.statusOf('s2')).toBe('alive');
  });

  it('ignores the sender\'s opinion of liveness: a fresh heartbeat reported as down is still progress', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    c.advance(20_000);
    expect(m.statusOf('s3')).toBe('down');
    m.merge([state('s3', 7n, 1n, 'down')]);
    expect(m.statusOf('s3')).toBe('alive');
  });

  it('a ring member never heard from turns suspect and then down', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    c.advance(5_000);
    expect(m.statusOf('s3')).toBe('suspect');
    c.advance(5_000);
    expect(m.statusOf('s3')).toBe('down');
    expect(m.statusOf('s1')).toBe('alive'); // never itself
  });

  it('left is final for its generation; a restart (higher generation) brings the node back', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    m.merge([state('s2', 10n, 7n, 'left')]);
    expect(m.statusOf('s2')).toBe('left');
    m.merge([state('s2', 10n, 8n, 'alive')]);
    expect(m.statusOf('s2')).toBe('left');
    // A relay that says left for the same generation at an older heartbeat still counts.
    const other = node('s3', c);
    other.applyRing(RING, 1n);
    other.merge([state('s2', 10n, 9n)]);
    other.merge([state('s2', 10n, 7n, 'left')]);
    expect(other.statusOf('s2')).toBe('left');
    m.merge([state('s2', 11n, 0n)]);
    expect(m.statusOf('s2')).toBe('alive');
  });

  it('leave() marks itself left with a grown heartbeat and stops choosing peers', () => {
    const c = clock();
    const m = node('s1', c);
    m.applyRing(RING, 1n);
    m.tick();
    const before = m.heartbeat;
    m.leave();
    expect(m.heartbeat).toBe(before + 1n);
    expect(m.members()[0]).toMatchObject({ nodeId: 's1', status: 'left' });
    expect(m.gossipTargets(3)).toEqual([]);
    const peer = node('s2', c);
    peer.applyRing(RING, 1n);
    peer.merge(m.members());
    expect(peer.statusOf('s1')).toBe('left');
  });

  it('tick bumps the heartbeat and publishes the load; a peer sees it as progress', () => {
    const c = clock();
    const a = node('s1', c);
    const b = node('s2', c);
    a.applyRing(RING, 1n);
    b.applyRing(RING, 1n);
    a.tick({ diskUsagePercent: 12.5, keyCount: 42n, loadBytes: 4096n, gcGraceMs: 864_000_000n });
    b.merge(a.members());
    c.advance(6_000);
    expect(b.statusOf('s1')).toBe('suspect');
    a.tick();
    b.merge(a.members());
    expect(b.statusOf('s1')).toBe('alive');
    expect(b.members().find((x) => x.nodeId === 's1')!.load).toEqual({ diskUsagePercent: 12.5, keyCount: 42n, loadBytes: 4096n, gcGraceMs: 864_000_000n });
  });

  it('ignores states about itself', () => {
    const c = clock();
    const m = node('s1', c, 100n);
    m.applyRing(RING, 1n);
    m.merge([state('s1', 999n, 999n, 'left')]);
    expect(m.members()[0]).toMatchObject({ generation: 100n, heartbeat: 0n, status: 'alive' });
  });

  it('keeps the ring of the highest ring epoch and drops members that left the ring', () => {
    const c = clock();
    const m = node('s1', c);
    expect(m.applyRing(RING, 5n)).toBe(true);
    m.merge([state('s3', 1n, 1n)]);
    expect(m.applyRing(RING.slice(0, 2), 4n)).toBe(false);
    expect(m.applyRing(RING.slice(0, 2), 5n)).toBe(false);
    expect(m.statusOf('s3')).toBe('alive');
    expect(m.applyRing(RING.slice(0, 2), 6n)).toBe(true);
    expect(m.ringEpoch).toBe(6n);
    expect(m.statusOf('s3')).toBeUndefined();
    m.merge([state('s3', 1n, 2n)]);
    expect(m.members().map((x) => x.nodeId)).toEqual(['s1', 's2']);
    expect(m.ring).toEqual(RING.slice(0, 2));
  });

  it('max-merges the fence epoch', () => {
    const m = node('s1', clock());
    expect(m.mergeFence(3n)).toBe(true);
    expect(m.mergeFence(2n)).toBe(false);
    expect(m.mergeFence(3n)).toBe(false);
    expect(m.fenceEpoch).toBe(3n);
  });

  it('gossips with up to fanout alive-or-suspect peers plus one unreachable one, at ring addresses', () => {
    const c = clock();
    const ring = [...RING, { nodeId: 's4', address: '127.0.0.1:4' }, { nodeId: 's5', address: '127.0.0.1:5' }];
    const m = node('s1', c);
    m.applyRing(ring, 1n);
    c.advance(6_000);
    m.merge([state('s2', 1n, 1n), state('s3', 1n, 1n)]); // s4, s5: silent for 6 s → suspect
    c.advance(5_000); // s2, s3 suspect; s4, s5 down
    m.merge([state('s2', 1n, 2n)]); // s2 alive
    let seq = 0;
    const rnd = () => [0, 0.99, 0.5][seq++ % 3]!;
    const targets = m.gossipTargets(2, rnd);
    expect(targets).toHaveLength(3);
    const live = targets.slice(0, 2).map((t) => t.nodeId).sort();
    expect(live.every((id) => id === 's2' || id === 's3')).toBe(true);
    expect(['s4', 's5']).toContain(targets[2]!.nodeId);
    expect(targets.find((t) => t.nodeId === 's2')?.address).toBe('127.0.0.1:2');
  });

  it('refuses a suspect timeout above the down timeout', () => {
    expect(() => new Membership({ selfId: 'a', selfAddress: 'a:1', generation: 1n, now: Date.now, suspectAfterMs: 10, downAfterMs: 5 })).toThrow();
  });
});

describe('sample', () => {
  it('returns up to n distinct items', () => {
    const out = sample([1, 2, 3, 4, 5], 3, () => 0.7);
    expect(new Set(out).size).toBe(3);
    expect(sample([1, 2], 5)).toHaveLength(2);
  });
});

describe('gossip wire', () => {
  it('round-trips a member state', () => {
    const m: MemberView = { ...state('s2', 1764000000000n, 12n, 'suspect'), load: { diskUsagePercent: 3.5, keyCount: 7n, loadBytes: 99n, gcGraceMs: 1000n } };
    const w = memberToWire(m) as unknown as pb.MemberState__Output;
    expect(memberFromWire(w, 0)).toEqual(m);
  });

  it('rejects bad members and rings with INVALID_REQUEST', () => {
    const good = memberToWire(state('s2', 1n, 1n)) as unknown as pb.MemberState__Output;
    const bad = [
      { ...good, node_id: '' },
      { ...good, node_id: 'a:b' },
      { ...good, status: 'MEMBER_STATUS_UNSPECIFIED' },
      { ...good, generation: '-1' },
      { ...good, heartbeat: '18446744073709551616' },
    ];
    for (const b of bad) {
      const err = (() => {
        try {
          memberFromWire(b as pb.MemberState__Output, 0);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(PairdbError);
      expect((err as PairdbError).code).toBe('INVALID_REQUEST');
    }
    expect(() => ringFromWire([{ node_id: 's1', address: '' }])).toThrow(/address/);
    expect(() => ringFromWire([{ node_id: 's1', address: 'a:1' }, { node_id: 's1', address: 'a:2' }])).toThrow(/twice/);
    expect(ringFromWire([{ node_id: 's1', address: 'a:1' }])).toEqual([{ nodeId: 's1', address: 'a:1' }]);
  });
});
