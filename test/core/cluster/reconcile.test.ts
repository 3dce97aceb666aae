import { describe, expect, it } from 'vitest';
import { findWrite, needsRepair, reconcile, repairTargets, type ReplicaReply } from '../../../src/core/cluster/reconcile.js';
import { clockFrom, clockToObject } from '../../../src/core/model/vector-clock.js';
import type { Version } from '../../../src/core/model/version.js';

function ver(clock: Record<string, number>, writer: string, value: string | null, opts: { lww?: boolean; wid?: number } = {}): Version {
  const c = clockFrom(clock);
  const ht = clock[writer] ?? 0;
  return {
    clock: c,
    value: value === null ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value)),
    tombstone: value === null,
    lww: opts.lww ?? false,
    timestampMs: Math.floor(ht / 1000),
    writerId: writer,
    writeId: Buffer.alloc(16, opts.wid ?? 1),
  };
}

const reply = (nodeId: string, ...versions: Version[]): ReplicaReply => ({ nodeId, versions });

describe('reconcile', () => {
  it('reports not found when no replica has a version', () => {
    const r = reconcile([reply('s1'), reply('s2')], 'lww');
    expect(r.notFound).toBe(true);
    expect(r.versions).toEqual([]);
    expect(r.context).toEqual([]);
  });

  it('picks the LWW-greatest of concurrent versions in lww mode and drops the other (by design)', () => {
    const a = ver({ c1: 5000 }, 'c1', 'a', { lww: true, wid: 1 });
    const b = ver({ c2: 6000 }, 'c2', 'b', { lww: true, wid: 2 });
    const r = reconcile([reply('s1', a), reply('s2', b)], 'lww');
    expect(r.versions).toEqual([b]);
    expect(r.winner).toBe(b);
    expect(clockToObject(r.context)).toEqual({ c1: 5000, c2: 6000 });
  });

  it('is deterministic: every order of the replies picks the same winner', () => {
    const vs = [
      ver({ c1: 5000 }, 'c1', 'x', { lww: true, wid: 1 }),
      ver({ c2: 5000 }, 'c2', 'y', { lww: true, wid: 2 }),
      ver({ c2: 5000 }, 'c2', 'z', { lww: true, wid: 3 }),
      ver({ c1: 4000, c3: 5000 }, 'c3', null, { lww: true, wid: 4 }),
    ];
    const winners = new Set<string>();
    const perms = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];
    for (const p of perms) {
      const r = reconcile(p.map((i) => reply(`s${i}`, vs[i]!)), 'lww');
      winners.add(r.versions[0]!.writeId.toString('hex'));
    }
    expect(winners.size).toBe(1);
    // ht ties at 5000: larger writer id c3 wins, and it is a tombstone → not found.
    expect(reconcile(vs.map((v, i) => reply(`s${i}`, v)), 'lww').notFound).toBe(true);
  });

  it('keeps concurrent versions as siblings, greatest LWW rank first, and drops dominated ones', () => {
    const old = ver({ c1: 1000 }, 'c1', 'old', { wid: 1 });
    const a = ver({ c1: 2000 }, 'c1', 'a', { wid: 2 });
    const b = ver({ c1: 1000, c2: 3000 }, 'c2', 'b', { wid: 3 });
    const r = reconcile([reply('s1', old, a), reply('s2', b), reply('s3', a)], 'siblings');
    expect(r.versions).toHaveLength(2);
    expect(r.live.map((v) => v.value.toString())).toEqual(['"b"', '"a"']);
    expect(r.winner).toBe(b);
    expect(clockToObject(r.context)).toEqual({ c1: 2000, c2: 3000 });
  });

  it('answers not found when every maximal version is a tombstone but still merges their clocks', () => {
    const v = ver({ c1: 1000 }, 'c1', 'v', { wid: 1 });
    const t = ver({ c1: 2000 }, 'c1', null, { wid: 2 });
    const r = reconcile([reply('s1', v), reply('s2', t)], 'siblings');
    expect(r.notFound).toBe(true);
    expect(r.versions).toEqual([t]);
    expect(clockToObject(r.context)).toEqual({ c1: 2000 });
  });

  it('returns a live version concurrent with a tombstone', () => {
    const v = ver({ c2: 1000 }, 'c2', 'v', { wid: 1 });
    const t = ver({ c1: 2000 }, 'c1', null, { wid: 2 });
    const r = reconcile([reply('s1', v), reply('s2', t)], 'siblings');
    expect(r.notFound).toBe(false);
    expect(r.winner).toBe(v);
    expect(r.versions).toHaveLength(2);
  });
});

describe('read repair targets', () => {
  it('names repliers whose versions differ from the result, not those equal to it', () => {
    const a = ver({ c1: 1000 }, 'c1', 'a', { lww: true, wid: 1 });
    const b = ver({ c1: 2000 }, 'c1', 'b', { lww: true, wid: 2 });
    const bCopy = { ...b, clock: clockFrom({ c1: 2000 }), value: Buffer.from('"b"'), writeId: Buffer.alloc(16, 2) };
    const replies = [reply('s1', a), reply('s2', bCopy), reply('s3')];
    const r = reconcile(replies, 'lww');
    expect(repairTargets(replies, r)).toEqual(['s1', 's3']);
  });

  it('needs no repair when the result is empty', () => {
    expect(needsRepair([], [])).toBe(false);
  });
});

describe('findWrite', () => {
  it('finds a write by its write id in a version or in the write-id memory', () => {
    const v = ver({ c1: 1000 }, 'c1', 'a', { wid: 7 });
    expect(findWrite([reply('s1'), reply('s2', v)], Buffer.alloc(16, 7))).toBe(v);
    expect(findWrite([{ nodeId: 's1', versions: [], recentWriteIds: [Buffer.alloc(16, 9)] }], Buffer.alloc(16, 9))).toBe(true);
    expect(findWrite([reply('s1', v)], Buffer.alloc(16, 8))).toBeUndefined();
  });
});
