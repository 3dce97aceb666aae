import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD, Memtable, encodeCkey, versionSetSize } from '../../../src/core/engine/memtable.js';
import { MAX_WRITE_IDS, WRITE_ID_TTL_MS, mergeWriteIds } from '../../../src/core/engine/write-ids.js';
import { encodeVersionSet } from '../../../src/core/model/version-codec.js';
import { encs, ver } from './helpers.js';

const NOW = 1_700_000_000_000;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('Memtable', () => {
  it('iterates keys in Buffer.compare order of the ckey, not JS string order', () => {
    const m = new Memtable(seeded(1));
    // U+FF61 sorts before U+1F600 in UTF-8, but after its surrogate pair in UTF-16.
    const keys = ['\u{1F600}', '\uFF61', 'b', 'a', 'a\u00e9', 'aa', 'Z'];
    for (const k of keys) m.merge('t', k, [ver({ value: `"${k}"` })], [], NOW);
    m.merge('s', 'zzz', [ver({})], [], NOW); // tenant 's' < 't' byte-wise
    m.merge('t.x', 'a', [ver({})], [], NOW); // 't' 0x00 … < 't.' …
    const got = [...m].map((e) => e.ckey);
    const want = [...got].sort(Buffer.compare);
    expect(got.map((b) => b.toString('hex'))).toEqual(want.map((b) => b.toString('hex')));
    expect([...m].map((e) => `${e.tenantId}/${e.key}`)).toEqual([
      's/zzz',
      't/Z',
      't/a',
      't/aa',
      't/a\u00e9',
      't/b',
      't/\uFF61',
      't/\u{1F600}',
      't.x/a',
    ]);
  });

  it('keeps order over many random inserts', () => {
    const rnd = seeded(7);
    const m = new Memtable(rnd);
    const keys = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const k = `k${Math.floor(rnd() * 5000)}`;
      keys.add(k);
      m.merge('t', k, [ver({ ht: 1_000_000 + i })], [], NOW);
    }
    expect(m.size).toBe(keys.size);
    const got = [...m].map((e) => e.ckey);
    for (let i = 1; i < got.length; i++) expect(Buffer.compare(got[i - 1]!, got[i]!)).toBeLessThan(0);
  });

  it('merges by Reduce: a dominating version replaces, a concurrent one becomes a sibling, a dominated one is dropped', () => {
    const m = new Memtable();
    const a = ver({ writer: 'c1', ht: 1000 });
    const b = ver({ writer: 'c1', ht: 2000 }); // dominates a
    const c = ver({ writer: 'c2', ht: 1500 }); // concurrent with b
    m.merge('t', 'k', [a], [], NOW);
    m.merge('t', 'k', [b], [], NOW);
    expect(encs(m.get('t', 'k')!.versions)).toEqual(encs([b]));
    m.merge('t', 'k', [c], [], NOW);
    expect(encs(m.get('t', 'k')!.versions)).toEqual(encs([b, c]));
    m.merge('t', 'k', [a], [], NOW); // late, dominated
    expect(encs(m.get('t', 'k')!.versions)).toEqual(encs([b, c]));
    const d = ver({ writer: 'c1', ht: 3000, clock: { c2: 1500 } }); // dominates both
    m.merge('t', 'k', [d], [], NOW);
    expect(encs(m.get('t', 'k')!.versions)).toEqual(encs([d]));
  });

  it('accounts size as Σ (ckey length + encoded set length + 96), adjusted on every merge', () => {
    const m = new Memtable();
    const expected = (): number => {
      let n = 0;
      for (const e of m) n += e.ckey.length + encodeVersionSet(e.versions).length + ENTRY_OVERHEAD;
      return n;
    };
    m.merge('acme', 'a', [ver({ value: '"x"' })], [], NOW);
    expect(m.bytes).toBe(expected());
    m.merge('acme', 'a', [ver({ writer: 'c2', value: '"concurrent"' })], [], NOW);
    expect(m.bytes).toBe(expected());
    m.merge('acme', 'b', [ver({ tombstone: true })], [], NOW);
    expect(m.bytes).toBe(expected());
    m.merge('acme', 'a', [ver({ ht: 1_800_000_000_000_000, clock: { c2: 1_700_000_000_000_000 }, value: '"y"' })], [], NOW);
    expect(m.bytes).toBe(expected());
    expect(versionSetSize(m.get('acme', 'a')!.versions)).toBe(encodeVersionSet(m.get('acme', 'a')!.versions).length);
    expect(encodeCkey('acme', 'a').equals(Buffer.from([0x61, 0x63, 0x6d, 0x65, 0, 0x61]))).toBe(true);
  });

  it('counts live keys and all-tombstone keys', () => {
    const m = new Memtable();
    m.merge('t', 'a', [ver({ ht: 1000 })], [], NOW);
    m.merge('t', 'b', [ver({ ht: 1000 })], [], NOW);
    expect([m.liveKeys, m.tombstoneKeys]).toEqual([2, 0]);
    m.merge('t', 'a', [ver({ ht: 2000, tombstone: true })], [], NOW);
    expect([m.liveKeys, m.tombstoneKeys]).toEqual([1, 1]);
    m.merge('t', 'a', [ver({ ht: 3000 })], [], NOW);
    expect([m.liveKeys, m.tombstoneKeys]).toEqual([2, 0]);
  });

  it('keeps the write-id memory: union, sorted by id, at most 32 newest, 24 h', () => {
    const m = new Memtable();
    for (let i = 0; i < 40; i++) {
      m.merge('t', 'k', [ver({ ht: 1000 + i })], [{ writeId: Buffer.from([i]), timestampMs: NOW - 40 + i }], NOW);
    }
    const wids = m.get('t', 'k')!.wids;
    expect(wids).toHaveLength(MAX_WRITE_IDS);
    expect(wids.map((e) => e.writeId[0])).toEqual(Array.from({ length: 32 }, (_, i) => i + 8)); // the 32 newest
    // 24 h later every pair has expired.
    m.merge('t', 'k', [ver({ ht: 5000 })], [], NOW + WRITE_ID_TTL_MS + 100);
    expect(m.get('t', 'k')!.wids).toEqual([]);
  });
});

describe('mergeWriteIds', () => {
  it('returns the same list when nothing changes (identity signals a no-op)', () => {
    const list = mergeWriteIds([], [{ writeId: Buffer.from('a'), timestampMs: NOW }], NOW);
    expect(mergeWriteIds(list, [{ writeId: Buffer.from('a'), timestampMs: NOW }], NOW)).toBe(list);
    expect(mergeWriteIds(list, [], NOW)).toBe(list);
    expect(mergeWriteIds(list, [{ writeId: Buffer.from('b'), timestampMs: NOW }], NOW)).not.toBe(list);
  });

  it('ignores empty write ids and pairs already expired', () => {
    expect(mergeWriteIds([], [{ writeId: Buffer.alloc(0), timestampMs: NOW }], NOW)).toEqual([]);
    expect(mergeWriteIds([], [{ writeId: Buffer.from('x'), timestampMs: NOW - WRITE_ID_TTL_MS - 1 }], NOW)).toEqual([]);
  });
});
