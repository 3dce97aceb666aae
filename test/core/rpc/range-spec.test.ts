import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { encodeCkey } from '../../../src/core/engine/memtable.js';
import { ckeyPosition } from '../../../src/core/engine/range-digest.js';
import { versionToWire } from '../../../src/core/model/version-wire.js';
import {
  MAX_SCAN_BATCH_BYTES,
  ScanBatcher,
  cursorToCkey,
  dropPredicate,
  keyRecordWireSize,
  rangeSpecFromWire,
  ringRangeFromWire,
  splitCkey,
} from '../../../src/core/rpc/range-spec.js';
import type * as pb from '../../../src/core/rpc/types.js';
import { ver } from '../engine/helpers.js';

/** Pure wire helpers of ScanRange / Compact drop (rpc.md §4, §8): parsing, the drop predicate, batching and its size bound. */

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The real protobuf encoder of ScanRangeBatch (the same .proto the server loads). */
function batchEncoder(): (b: pb.ScanRangeBatch) => Buffer {
  const defs = protoLoader.loadSync('pairdb/v1/pairdb.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [fileURLToPath(new URL('../../../src/core/rpc/proto', import.meta.url))],
  });
  const method = (defs['pairdb.v1.StorageService'] as Record<string, { responseSerialize: (m: unknown) => Buffer }>).ScanRange!;
  return (b) => method.responseSerialize(b);
}

function randomRecord(rnd: () => number, i: number): pb.KeyRecord {
  const versions = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, j) => {
    const clock: Record<string, number> = {};
    for (let c = 0; c < Math.floor(rnd() * 4); c++) clock[`actor-${'x'.repeat(Math.floor(rnd() * 40))}${c}`] = 1 + Math.floor(rnd() * 2 ** 50);
    return versionToWire(
      ver({
        writer: `w${j}${'y'.repeat(Math.floor(rnd() * 100))}`,
        ht: 2 ** 52 - Math.floor(rnd() * 1000),
        clock,
        value: Buffer.alloc(Math.floor(rnd() * 3000), 7),
        tombstone: rnd() < 0.2,
        writeId: Buffer.alloc(Math.floor(rnd() * 17), 1),
      }),
    );
  });
  return {
    tenant_id: `tenant-${i}`,
    key: `k${'z'.repeat(Math.floor(rnd() * 300))}${i}`,
    versions,
    recent_writes: Array.from({ length: Math.floor(rnd() * 4) }, (_, j) => ({ write_id: Buffer.alloc(16, j), timestamp_ms: 2 ** 52 + j })),
  };
}

describe('range-spec wire helpers', () => {
  it('keyRecordWireSize bounds the real encoding from above (seed 1..400)', () => {
    const encode = batchEncoder();
    const empty = encode({ records: [], cursor: { tenant_id: '', key: '' }, done: true }).length;
    for (let seed = 1; seed <= 400; seed++) {
      const rnd = seeded(seed);
      const r = randomRecord(rnd, seed);
      const actual = encode({ records: [r], cursor: { tenant_id: '', key: '' }, done: true }).length - empty;
      const bound = keyRecordWireSize(r);
      expect(bound, `seed ${seed}`).toBeGreaterThanOrEqual(actual);
      // Not wildly above it either (the 4 MiB limit would otherwise cut batches far too early).
      expect(bound, `seed ${seed}`).toBeLessThan(actual * 2 + 200);
    }
  });

  it('ScanBatcher: record limit, byte limit, a large record alone, the done batch and its cursor', () => {
    const rec = (key: string, valueBytes = 10): pb.KeyRecord => ({
      tenant_id: 't',
      key,
      versions: [versionToWire(ver({ value: Buffer.alloc(valueBytes, 1) }))],
      recent_writes: [],
    });
    const b = new ScanBatcher(0, null);
    expect(b.maxRecords).toBe(1000);
    expect(new ScanBatcher(5000, null).maxRecords).toBe(1000);
    const sent: pb.ScanRangeBatch[] = [];
    for (let i = 0; i < 2500; i++) {
      const out = b.add(rec(`k${i}`));
      if (out) sent.push(out);
    }
    sent.push(b.finish());
    expect(sent.map((x) => x.records!.length)).toEqual([1000, 1000, 500]);
    expect(sent.map((x) => x.done)).toEqual([false, false, true]);
    expect(sent[2]!.cursor).toEqual({ tenant_id: 't', key: 'k2499' });

    const mib = 1024 * 1024;
    const big = new ScanBatcher(1000, null);
    const batches: pb.ScanRangeBatch[] = [];
    for (const [k, size] of [['a', 3 * mib], ['b', 2 * mib], ['c', 6 * mib], ['d', 10]] as const) {
      const out = big.add(rec(k, size));
      if (out) batches.push(out);
    }
    batches.push(big.finish());
    expect(batches.map((x) => x.records!.map((r) => r.key))).toEqual([['a'], ['b'], ['c'], ['d']]);
    for (const x of batches) {
      const bytes = x.records!.reduce((n, r) => n + keyRecordWireSize(r), 0);
      if (x.records!.length > 1) expect(bytes).toBeLessThanOrEqual(MAX_SCAN_BATCH_BYTES);
    }

    // No records at all: one done batch carrying the cursor the scan resumed from.
    expect(new ScanBatcher(10, { tenant_id: 'x', key: 'y' }).finish()).toEqual({ records: [], cursor: { tenant_id: 'x', key: 'y' }, done: true });
  });

  it('parses ranges, tenants and cursors; rejects what the wire can carry but the spec forbids', () => {
    expect(ringRangeFromWire(null)).toEqual({ start: 0n, end: 0n });
    expect(ringRangeFromWire({ start: '18446744073709551615', end: '5' })).toEqual({ start: 2n ** 64n - 1n, end: 5n });
    expect(() => ringRangeFromWire({ start: '18446744073709551616', end: '0' })).toThrow(/not a uint64/);
    expect(() => rangeSpecFromWire({ ranges: [], tenant_ids: ['bad tenant'] })).toThrow(/tenant id/);
    expect(cursorToCkey(null)).toBeUndefined();
    expect(cursorToCkey({ tenant_id: '', key: '' })).toBeUndefined();
    expect(cursorToCkey({ tenant_id: 'acme', key: 'k' })).toEqual(encodeCkey('acme', 'k'));
    expect(() => cursorToCkey({ tenant_id: 'a', key: 'x\u0000y' })).toThrow(/NUL/);
    expect(splitCkey(encodeCkey('acme', 'a:b\u00e9'))).toEqual({ tenantId: 'acme', key: 'a:b\u00e9' });
  });

  it('dropPredicate: any spec matches; a spec needs its tenant (if listed) and a range (if given)', () => {
    const half = 1n << 63n;
    const drop = dropPredicate([
      { ranges: [], tenant_ids: ['zeta'] },
      { ranges: [{ start: '0', end: String(half) }], tenant_ids: ['acme'] },
      { ranges: [{ start: String(half), end: '0' }], tenant_ids: [] }, // wraps to the ring's end: upper half, any tenant
    ]);
    const rnd = seeded(77);
    for (let i = 0; i < 300; i++) {
      const tenant = ['acme', 'zeta', 'beta'][Math.floor(rnd() * 3)]!;
      const ckey = encodeCkey(tenant, `k${i}`);
      const pos = ckeyPosition(ckey);
      const want = tenant === 'zeta' || (tenant === 'acme' && pos < half) || pos >= half;
      expect(drop(ckey), `${tenant}/k${i}`).toBe(want);
    }
    expect(() => dropPredicate([{ ranges: [], tenant_ids: [''] }])).toThrow(/tenant id/);
  });
});
