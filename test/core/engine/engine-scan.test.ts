import { describe, expect, it } from 'vitest';
import type { RingRange, StorageEngine } from '../../../src/core/engine/engine.js';
import { encodeCkey } from '../../../src/core/engine/memtable.js';
import { ckeyPosition, inRingRange } from '../../../src/core/engine/range-digest.js';
import { type Version, reduce } from '../../../src/core/model/version.js';
import { engineHarness } from './engine-harness.js';
import { encs, ver } from './helpers.js';

/**
 * Range scans and Merkle digests over the running engine (storage-engine.md §8, §11 item 13): a scan equals the model
 * filtered by ring position (wrapping ranges, whole ring, tenant lists, resume cursor) whatever mix of memtables,
 * L0 and deeper tables holds the data; different flush/compaction histories give identical digests.
 */

const harness = engineHarness('pairdb-scan-');
const STREAM = { purpose: 'STREAM' as const };
const TWO_64 = 1n << 64n;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Model = Map<string, { tenant: string; key: string; versions: Version[] }>;

/** Random writes (siblings, overwrites, tombstones) over 3 tenants, applied to the engine with flushes/compactions. */
async function populate(e: StorageEngine, seed: number, opts: { flushEvery?: number; compactAt?: number } = {}): Promise<Model> {
  const rnd = seeded(seed);
  const model: Model = new Map();
  const base = Date.UTC(2030, 0, 1) * 1000; // fixed: two engines fed the same seed hold the same versions
  for (let i = 0; i < 600; i++) {
    const tenant = ['acme', 'zeta', 'a'][Math.floor(rnd() * 3)]!;
    const key = `key-${Math.floor(rnd() * 250)}`;
    const writer = `c${1 + Math.floor(rnd() * 3)}`;
    const v = ver({ writer, ht: base + i, value: `"${i}"`, tombstone: rnd() < 0.1, writeId: `w${i}` });
    await e.writeBlind(tenant, key, v, STREAM);
    const ck = encodeCkey(tenant, key).toString('hex');
    const cur = model.get(ck) ?? { tenant, key, versions: [] };
    cur.versions = [...reduce([...cur.versions, v])];
    model.set(ck, cur);
    if (opts.flushEvery && i % opts.flushEvery === opts.flushEvery - 1) await e.flush();
    if (opts.compactAt === i) await e.compact();
  }
  return model;
}

function expectedScan(model: Model, ranges: readonly RingRange[], tenants: readonly string[] = []): string[] {
  return [...model.keys()]
    .filter((ck) => tenants.length === 0 || tenants.includes(model.get(ck)!.tenant))
    .filter((ck) => ranges.length === 0 || ranges.some((r) => inRingRange(ckeyPosition(Buffer.from(ck, 'hex')), r.start, r.end)))
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
}

async function scanKeys(e: StorageEngine, opts: Parameters<StorageEngine['scan']>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const x of e.scan(opts)) out.push(x.ckey.toString('hex'));
  return out;
}

describe('StorageEngine scans and digests', () => {
  it('scans equal the model filtered by ring range and tenant, over memtables, L0 and L1, in ckey order', async () => {
    const e = await harness.open({ autoCompact: false });
    const model = await populate(e, 7, { flushEvery: 150, compactAt: 320 });
    // The data now lives in L1 (compacted), L0 tables and the memtable.
    expect(e.manifestState.tables.get(1)?.length).toBeGreaterThan(0);
    expect(e.manifestState.tables.get(0)?.length).toBeGreaterThan(0);
    const rnd = seeded(99);
    const pos = (): bigint => BigInt(Math.floor(rnd() * 2 ** 32)) << 32n;
    const cases: Array<{ ranges: RingRange[]; tenants?: string[] }> = [
      { ranges: [] },
      { ranges: [{ start: 5n, end: 5n }] }, // start = end: whole ring
      { ranges: [{ start: TWO_64 / 4n, end: TWO_64 / 2n }] },
      { ranges: [{ start: (TWO_64 * 3n) / 4n, end: TWO_64 / 8n }] }, // wraps
      { ranges: [{ start: pos(), end: pos() }, { start: pos(), end: pos() }], tenants: ['acme', 'a'] },
      { ranges: [], tenants: ['zeta'] },
      { ranges: [], tenants: ['nobody'] },
    ];
    for (const c of cases) {
      const got = await scanKeys(e, { ranges: c.ranges, tenants: c.tenants, includeExpiredTombstones: true });
      expect(got, JSON.stringify(c, (_, x) => (typeof x === 'bigint' ? String(x) : x))).toEqual(expectedScan(model, c.ranges, c.tenants));
    }
    // Each key's set is the model's Reduce-d set.
    for await (const x of e.scan({})) {
      expect(encs(x.versions).sort()).toEqual(encs(model.get(x.ckey.toString('hex'))!.versions).sort());
    }
  });

  it('resumes strictly after a cursor, also inside a tenant list', async () => {
    const e = await harness.open({ autoCompact: false });
    const model = await populate(e, 3, { flushEvery: 200 });
    const all = expectedScan(model, []);
    const mid = all[Math.floor(all.length / 2)]!;
    expect(await scanKeys(e, { after: Buffer.from(mid, 'hex') })).toEqual(all.slice(all.indexOf(mid) + 1));
    const acme = expectedScan(model, [], ['acme', 'zeta']);
    const cut = acme[10]!;
    expect(await scanKeys(e, { tenants: ['zeta', 'acme'], after: Buffer.from(cut, 'hex') })).toEqual(acme.slice(11));
  });

  it('omits tombstones past gc_grace unless asked for them', async () => {
    let now = Date.now();
    const e = await harness.open({ autoCompact: false, now: () => now, compaction: { gcGraceMs: 1000 } });
    await e.writeBlind('t', 'dead', ver({ ht: now * 1000, tombstone: true }), STREAM);
    await e.writeBlind('t', 'live', ver({ ht: now * 1000, value: '"x"' }), STREAM);
    await e.flush();
    expect((await scanKeys(e, {})).length).toBe(2);
    now += 2000;
    expect(await scanKeys(e, {})).toEqual([encodeCkey('t', 'live').toString('hex')]);
    expect((await scanKeys(e, { includeExpiredTombstones: true })).length).toBe(2);
  });

  it('gives identical digests for the same writes under different flush and compaction histories', async () => {
    const a = await harness.open({ autoCompact: false });
    await populate(a, 11, {});
    const range = { start: TWO_64 / 3n, end: TWO_64 / 5n }; // wrapping
    const da = await a.rangeDigest(range, { depth: 6 });
    const whole = await a.rangeDigest({ start: 0n, end: 0n }, { depth: 4, tenants: ['acme'] });
    await harness.close(a);
    // Same writes in another dir, flushed often and compacted midway.
    const { tempDir } = await import('./helpers.js');
    const other = tempDir('pairdb-scan-b-');
    try {
      const { StorageEngine } = await import('../../../src/core/engine/engine.js');
      const { silentLogger } = await import('../../../src/core/observability/logger.js');
      const b = await StorageEngine.open({ dataDir: other.dir, logger: silentLogger(), autoCompact: false });
      try {
        await populate(b, 11, { flushEvery: 97, compactAt: 400 });
        const db = await b.rangeDigest(range, { depth: 6 });
        expect(db.root.toString('hex')).toBe(da.root.toString('hex'));
        expect(db.keyCount).toBe(da.keyCount);
        expect(db.leaves.length).toBe(64);
        expect((await b.rangeDigest({ start: 0n, end: 0n }, { depth: 4, tenants: ['acme'] })).root).toEqual(whole.root);
        // One more write changes exactly one leaf.
        const ck = [...(await scanKeys(b, { ranges: [range] }))][0]!;
        const ckey = Buffer.from(ck, 'hex');
        const [tenant, key] = ckey.toString('utf8').split('\u0000') as [string, string];
        await b.writeBlind(tenant, key, ver({ writer: 'c9', ht: Date.now() * 1000, value: '"new"' }), STREAM);
        const changed = await b.rangeDigest(range, { depth: 6 });
        expect(changed.root.equals(da.root)).toBe(false);
        expect(changed.leaves.filter((l, i) => !l.equals(da.leaves[i]!)).length).toBe(1);
      } finally {
        await b.close();
      }
    } finally {
      other.cleanup();
    }
  });

  it('lets other callbacks run during a long scan of memtables alone', async () => {
    const e = await harness.open({ autoCompact: false });
    await Promise.all(Array.from({ length: 3000 }, (_, i) => e.writeBlind('t', `k${i}`, ver({ ht: Date.now() * 1000 + i }), STREAM)));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let n = 0;
    let ticksSeenMidScan = 0;
    for await (const _ of e.scan({})) {
      if (++n === 2500) ticksSeenMidScan = ticks;
    }
    clearInterval(timer);
    expect(n).toBe(3000);
    expect(ticksSeenMidScan).toBeGreaterThan(0);
  });
});
