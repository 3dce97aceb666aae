import { describe, expect, it } from 'vitest';
import { planMigration } from '../../../src/core/cluster/migration-plan.js';
import { MultiQuorum, Placement } from '../../../src/core/cluster/placement.js';
import { Ring, keyPosition } from '../../../src/core/cluster/ring.js';

const three = [
  { nodeId: 's1', virtualNodes: 2 },
  { nodeId: 's2', virtualNodes: 2 },
  { nodeId: 's3', virtualNodes: 2 },
];
const ringOld = new Ring(three);
const ringNew = new Ring([...three, { nodeId: 's4', virtualNodes: 2 }]);
const groups = new Map([
  [2, ['globex']],
  [3, ['acme']],
]);
const str = (ranges: ReadonlyArray<readonly [bigint, bigint]>) => ranges.map(([s, e]) => `${s}:${e}`);

describe('planMigration (cluster.md §11.2 worked example)', () => {
  const plan = planMigration({ ringOld, ringNew, rfGroups: groups });

  it('cuts the moving segments with their before/after lists', () => {
    expect(plan.segments.map((s) => [...str([s.range]), s.before.join(' '), s.after.join(' ')])).toEqual([
      ['1139234802781762914:8875426086074265852', 's2 s1 s3', 's2 s1 s4'],
      ['8875426086074265852:9077595331994385663', 's1 s3 s2', 's1 s4 s3'],
      ['9077595331994385663:14541881087732058078', 's3 s1 s2', 's4 s3 s1'],
    ]);
  });

  it('builds the spec tasks, rows 2–3 merged into s2→s4 {acme}', () => {
    const tasks = plan.tasks.map((t) => `${t.kind} ${t.source}→${t.target} {${t.tenantIds?.join(',') ?? '*'}} ${str(t.ranges).join(' ')}`).sort();
    expect(tasks).toEqual(
      [
        'stream s3→s4 {acme} 1139234802781762914:8875426086074265852',
        'stream s3→s4 {globex} 8875426086074265852:9077595331994385663',
        'stream s1→s4 {globex} 9077595331994385663:14541881087732058078',
        'stream s2→s4 {acme} 8875426086074265852:14541881087732058078',
      ].sort(),
    );
  });

  it('records the losers of an addition for cleanup', () => {
    const c = plan.cleanup.map((x) => `${x.nodeId} {${x.tenantIds?.join(',') ?? '*'}} ${str(x.ranges).join(' ')}`).sort();
    expect(c).toContain('s2 {acme} 8875426086074265852:14541881087732058078');
    expect(c).toContain('s3 {acme} 1139234802781762914:8875426086074265852');
  });

  it('moves acme:a from s3 to s4 and nothing else of it', () => {
    const pos = keyPosition('acme', 'a');
    expect(ringOld.preferenceListAt(pos, 3)).toEqual(['s2', 's1', 's3']);
    expect(ringNew.preferenceListAt(pos, 3)).toEqual(['s2', 's1', 's4']);
  });

  it('a removal is the mirror: the leaving node is the source and is not kept for cleanup', () => {
    const rm = planMigration({ ringOld: ringNew, ringNew: ringOld, rfGroups: groups });
    expect(rm.tasks.every((t) => t.source === 's4' && t.kind === 'stream')).toBe(true);
    expect(rm.cleanup).toEqual([]);
    const down = planMigration({ ringOld: ringNew, ringNew: ringOld, rfGroups: groups, isAlive: (n) => n !== 's4' });
    expect(down.tasks.length).toBeGreaterThan(0);
    expect(down.tasks.every((t) => t.source !== 's4')).toBe(true);
  });

  it('an RF increase streams from every member of before[:r]; a decrease plans repair tasks', () => {
    const up = planMigration({ ringOld, ringNew: ringOld, rfGroups: new Map([[3, ['acme']]]), rfChange: { oldRf: 2, newRf: 3 } });
    expect(up.tasks.length).toBeGreaterThan(0);
    for (const t of up.tasks) {
      expect(t.kind).toBe('stream');
      expect(t.tenantIds).toEqual(['acme']);
    }
    const down = planMigration({ ringOld, ringNew: ringOld, rfGroups: new Map([[3, ['acme']]]), rfChange: { oldRf: 3, newRf: 2 } });
    expect(down.tasks.every((t) => t.kind === 'repair' && t.sources?.length === 3)).toBe(true);
    expect(down.cleanup.length).toBeGreaterThan(0);
  });

  it('covers every key whose list changes exactly once per gainer', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `k${i}`;
      const pos = keyPosition('acme', key);
      const before = ringOld.preferenceListAt(pos, 3);
      const after = ringNew.preferenceListAt(pos, 3);
      const gainers = after.filter((x) => !before.includes(x));
      const covering = plan.tasks.filter((t) => (t.tenantIds === null || t.tenantIds.includes('acme')) && t.ranges.some(([s, e]) => (s < e ? pos >= s && pos < e : pos >= s || pos < e)));
      expect(covering.map((t) => t.target).sort()).toEqual(gainers.sort());
    }
  });
});

describe('Placement (cluster.md §3 table)', () => {
  const m = (phase: 'streaming' | 'handover_write' | 'handover_read') => new Placement(ringOld, ringNew, { phase, tenantId: null, oldRf: null, newRf: null });
  it('dual-writes from prepare, counts P_new only from handover_write, reads P_new only in handover_read', () => {
    const s = m('streaming').forKey('acme', 'a', 3, 'quorum');
    expect(s.writeTargets).toEqual(['s2', 's1', 's3', 's4']);
    expect(s.writeConditions).toEqual([{ members: ['s2', 's1', 's3'], need: 2 }]);
    expect(s.readSet).toEqual(['s2', 's1', 's3']);
    const w = m('handover_write').forKey('acme', 'a', 3, 'quorum');
    expect(w.writeConditions).toEqual([
      { members: ['s2', 's1', 's3'], need: 2 },
      { members: ['s2', 's1', 's4'], need: 2 },
    ]);
    expect(w.readSet).toEqual(['s2', 's1', 's3']);
    expect(m('handover_read').forKey('acme', 'a', 3, 'quorum').readSet).toEqual(['s2', 's1', 's4']);
    const none = new Placement(ringNew, ringNew, null).forKey('acme', 'a', 3, 'all');
    expect(none).toEqual({ writeTargets: ['s2', 's1', 's4'], writeConditions: [{ members: ['s2', 's1', 's4'], need: 3 }], readSet: ['s2', 's1', 's4'], readNeed: 3 });
  });
  it('uses rf_old/rf_new only for the tenant under an RF change', () => {
    const p = new Placement(ringOld, ringOld, { phase: 'streaming', tenantId: 'acme', oldRf: 2, newRf: 3 });
    expect(p.forKey('acme', 'a', 3, 'quorum').writeConditions).toEqual([{ members: ['s2', 's1'], need: 2 }]);
    expect(p.forKey('acme', 'a', 3, 'quorum').writeTargets).toEqual(['s2', 's1', 's3']);
    expect(p.forKey('globex', 'a', 2, 'quorum').writeTargets.length).toBe(2);
  });
});

describe('MultiQuorum', () => {
  it('succeeds only when every condition holds, and fails as soon as one cannot', () => {
    const q = new MultiQuorum(
      [
        { members: ['a', 'b', 'c'], need: 2 },
        { members: ['a', 'b', 'd'], need: 2 },
      ],
      4,
    );
    expect(q.ack('c')).toBe('pending');
    expect(q.ack('a')).toBe('pending'); // old: 2, new: 1
    expect(q.ack('d')).toBe('success');
    expect(q.acks).toBe(3);
    const f = new MultiQuorum([{ members: ['a', 'b', 'c'], need: 2 }, { members: ['a', 'b', 'd'], need: 2 }], 4);
    f.ack('c');
    expect(f.fail('b')).toBe('pending');
    expect(f.fail('d')).toBe('impossible'); // new set: only a left, needs 2
  });
  it('uncounted targets do not count', () => {
    const q = new MultiQuorum([{ members: ['a', 'b', 'c'], need: 2 }], 4);
    q.ack('d');
    expect(q.acks).toBe(0);
    expect(q.state).toBe('pending');
  });
});

describe('replicaFreeRanges (cleanup after grace, §11.5)', () => {
  it('keeps only the parts of the ranges the node no longer replicates', async () => {
    const { replicaFreeRanges } = await import('../../../src/core/cluster/migration-plan.js');
    const whole: [bigint, bigint] = [0n, 0n];
    const free = replicaFreeRanges(ringNew, 's3', [whole], [2]);
    expect(free.length).toBeGreaterThan(0);
    for (let i = 0; i < 3000; i++) {
      const pos = keyPosition('acme', `k${i}`);
      const inFree = free.some(([s, e]) => (s < e ? pos >= s && pos < e : pos >= s || pos < e));
      expect(inFree).toBe(!ringNew.preferenceListAt(pos, 2).includes('s3'));
    }
    // A node that replicates everything (RF = ring size) has nothing to drop.
    expect(replicaFreeRanges(ringOld, 's1', [whole], [3])).toEqual([]);
    // Wrapping input ranges are clipped like any other.
    const wrap: [bigint, bigint] = [(1n << 64n) - 1000n, 1000n];
    for (const [s, e] of replicaFreeRanges(ringNew, 's3', [wrap], [2])) expect(s >= (1n << 64n) - 1000n || e <= 1000n).toBe(true);
  });
});
