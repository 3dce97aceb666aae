import { openSync, readdirSync, closeSync, writeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { encodeCkey } from '../../src/core/engine/memtable.js';
import { ckeyPosition, inRingRange } from '../../src/core/engine/range-digest.js';
import { PairdbError } from '../../src/core/errors.js';
import { type Version, reduce } from '../../src/core/model/version.js';
import { versionFromWire, versionToWire } from '../../src/core/model/version-wire.js';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import type * as pb from '../../src/core/rpc/types.js';
import { encs, ver } from '../core/engine/helpers.js';
import { storageDaemonHarness } from './storage-harness.js';

/**
 * StorageService ScanRange and RangeDigest over real gRPC against in-process daemons (rpc.md §6, storage-engine.md §8):
 * scans equal the written model (wrapping ranges, tenant filter, resume cursor, batch limits, keys_only), a corrupt
 * table ends the stream DATA_LOSS, and two nodes fed the same writes with different flush histories give equal
 * digests that part after one extra write.
 */

const harness = storageDaemonHarness('pairdb-storage-scan-');
const TWO_64 = 1n << 64n;
const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 60_000 });

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Model = Map<string, { tenant: string; key: string; versions: Version[] }>;

interface Write {
  tenant: string;
  key: string;
  v: Version;
}

/** Seeded writes over 3 tenants: siblings, overwrites, tombstones (siblings mode: Reduce is order-independent). */
function makeWrites(seed: number, n: number): Write[] {
  const rnd = seeded(seed);
  const base = Date.UTC(2030, 0, 1) * 1000;
  return Array.from({ length: n }, (_, i) => ({
    tenant: ['acme', 'zeta', 'a'][Math.floor(rnd() * 3)]!,
    key: `key-${Math.floor(rnd() * 200)}`,
    v: ver({ writer: `c${1 + Math.floor(rnd() * 3)}`, ht: base + i, value: `"${i}"`, tombstone: rnd() < 0.1 }),
  }));
}

function modelOf(writes: readonly Write[]): Model {
  const model: Model = new Map();
  for (const w of writes) {
    const ck = encodeCkey(w.tenant, w.key).toString('hex');
    const cur = model.get(ck) ?? { tenant: w.tenant, key: w.key, versions: [] };
    cur.versions = [...reduce([...cur.versions, w.v])];
    model.set(ck, cur);
  }
  return model;
}

/** Sends the writes in chunks of concurrent REPAIR writes (one group commit each), flushing after every `flushEvery`. */
async function apply(client: StorageClient, writes: readonly Write[], flushEvery = 0): Promise<void> {
  const chunk = flushEvery > 0 ? flushEvery : 500;
  for (let i = 0; i < writes.length; i += chunk) {
    await Promise.all(
      writes.slice(i, i + chunk).map((w) =>
        client.write({ record: { tenant_id: w.tenant, key: w.key, versions: [versionToWire(w.v)] }, purpose: 'PURPOSE_REPAIR', topology_epoch: 1 }, opts()),
      ),
    );
    if (flushEvery > 0) await client.flush({ wait: true }, opts());
  }
}

function expected(model: Model, ranges: { start: bigint; end: bigint }[], tenants: string[] = []): string[] {
  return [...model.keys()]
    .filter((ck) => tenants.length === 0 || tenants.includes(model.get(ck)!.tenant))
    .filter((ck) => ranges.length === 0 || ranges.some((r) => inRingRange(ckeyPosition(Buffer.from(ck, 'hex')), r.start, r.end)))
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
}

async function collect(client: StorageClient, req: pb.ScanRangeRequest): Promise<pb.ScanRangeBatch__Output[]> {
  const out: pb.ScanRangeBatch__Output[] = [];
  for await (const b of client.scanRange(req, opts())) out.push(b);
  return out;
}

const ckHex = (r: pb.KeyRecord__Output): string => encodeCkey(r.tenant_id, r.key).toString('hex');
const wireRange = (start: bigint, end: bigint): pb.HashRange => ({ start: String(start), end: String(end) });

async function scanError(it: AsyncIterable<unknown>): Promise<PairdbError> {
  try {
    for await (const _ of it) {
      // drain
    }
  } catch (err) {
    return err as PairdbError;
  }
  throw new Error('the stream ended without an error');
}

describe('storage ScanRange RPC', () => {
  it('streams the written keys in ckey order with their versions, batch_size records per batch, the last one done', async () => {
    const { client } = await harness.start();
    const writes = makeWrites(5, 500);
    await apply(client, writes.slice(0, 250), 125); // two L0 tables
    await apply(client, writes.slice(250)); // the rest in the memtable
    const model = modelOf(writes);
    const batches = await collect(client, { spec: null, batch_size: 7 });
    const records = batches.flatMap((b) => b.records);
    expect(records.map(ckHex)).toEqual(expected(model, []));
    for (const r of records) {
      expect(encs(r.versions.map(versionFromWire))).toEqual(encs(model.get(ckHex(r))!.versions));
    }
    expect(batches.every((b) => b.records.length <= 7)).toBe(true);
    expect(batches.slice(0, -1).every((b) => b.records.length === 7 && !b.done)).toBe(true);
    expect(batches.at(-1)!.done).toBe(true);
    // Each batch's cursor names its last record.
    for (const b of batches) expect(b.cursor).toEqual({ tenant_id: b.records.at(-1)!.tenant_id, key: b.records.at(-1)!.key });
  });

  it('filters by wrapping and plain ring ranges and by tenant, and resumes after a cursor', async () => {
    const { client } = await harness.start();
    const writes = makeWrites(9, 400);
    await apply(client, writes, 200);
    const model = modelOf(writes);
    const rnd = seeded(4);
    const pos = (): bigint => BigInt(Math.floor(rnd() * 2 ** 32)) << 32n;
    const cases: { ranges: { start: bigint; end: bigint }[]; tenants: string[] }[] = [
      { ranges: [{ start: (TWO_64 * 3n) / 4n, end: TWO_64 / 8n }], tenants: [] }, // wraps past 2^64 − 1
      { ranges: [{ start: pos(), end: pos() }, { start: TWO_64 / 3n, end: TWO_64 / 2n }], tenants: ['acme', 'a'] },
      { ranges: [{ start: 77n, end: 77n }], tenants: ['zeta'] }, // start = end: the whole ring
      { ranges: [], tenants: ['nobody'] },
    ];
    for (const c of cases) {
      const got = (await collect(client, { spec: { ranges: c.ranges.map((r) => wireRange(r.start, r.end)), tenant_ids: c.tenants } })).flatMap((b) => b.records);
      expect(got.map(ckHex), JSON.stringify(c, (_, x) => (typeof x === 'bigint' ? String(x) : x))).toEqual(expected(model, c.ranges, c.tenants));
    }
    // Read two batches, walk away (cancels the call), resume from the last cursor: together they are the full scan.
    const all = expected(model, [], ['acme', 'zeta']);
    const spec = { ranges: [], tenant_ids: ['zeta', 'acme'] };
    const first: pb.KeyRecord__Output[] = [];
    let cursor: pb.ScanCursor__Output | null = null;
    for await (const b of client.scanRange({ spec, batch_size: 10 }, opts())) {
      first.push(...b.records);
      cursor = b.cursor;
      if (first.length >= 20) break;
    }
    expect(first.map(ckHex)).toEqual(all.slice(0, 20));
    const rest = (await collect(client, { spec, batch_size: 10, resume_after: cursor })).flatMap((b) => b.records);
    expect([...first, ...rest].map(ckHex)).toEqual(all);
    // An empty remainder still ends with one done batch carrying the cursor it resumed from.
    const lastKey = model.get(all.at(-1)!)!;
    const tail = await collect(client, { spec, resume_after: { tenant_id: lastKey.tenant, key: lastKey.key } });
    expect(tail).toEqual([{ records: [], cursor: { tenant_id: lastKey.tenant, key: lastKey.key }, done: true }]);
  });

  it('keeps batches under 4 MiB, sends a larger record alone, and keys_only drops the versions', async () => {
    const { client } = await harness.start();
    const mib = 1024 * 1024;
    const big = (key: string, bytes: number, i: number): Write => ({
      tenant: 't',
      key,
      v: ver({ ht: Date.now() * 1000 + i, value: Buffer.from(JSON.stringify('x'.repeat(bytes))) }),
    });
    // ckey order a, b, c, d, e: 1.5 + 1.5 MiB fit, c would pass 4 MiB, d (5 MiB) travels alone, then e.
    const writes = [big('a', 1.5 * mib, 1), big('b', 1.5 * mib, 2), big('c', 1.5 * mib, 3), big('d', 5 * mib, 4), big('e', 10, 5)];
    await apply(client, writes);
    const batches = await collect(client, { spec: null });
    expect(batches.map((b) => b.records.map((r) => r.key))).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
    expect(batches.map((b) => b.done)).toEqual([false, false, false, true]);
    expect(batches[2]!.records[0]!.versions[0]!.value.length).toBe(5 * mib + 2);
    const keys = await collect(client, { spec: null, keys_only: true });
    expect(keys).toHaveLength(1);
    expect(keys[0]!.records.map((r) => [r.key, r.versions.length, r.recent_writes.length])).toEqual([
      ['a', 0, 0],
      ['b', 0, 0],
      ['c', 0, 0],
      ['d', 0, 0],
      ['e', 0, 0],
    ]);
  });

  it('ends the stream CHECKSUM_MISMATCH (gRPC DATA_LOSS) when a table block is corrupt', async () => {
    const { client, daemon } = await harness.start();
    await apply(client, makeWrites(3, 300), 300);
    const table = daemon.engine!.manifestState.tables.get(0)![0]!.file;
    const path = join(harness.dir, 'sst', readdirSync(join(harness.dir, 'sst')).find((f) => Number(f.slice(0, 20)) === table)!);
    const fd = openSync(path, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 100);
    b[0]! ^= 0xff;
    writeSync(fd, b, 0, 1, 100);
    closeSync(fd);
    const err = await scanError(client.scanRange({ spec: null }, opts()));
    expect(err).toBeInstanceOf(PairdbError);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect((err.cause as { code?: number }).code).toBe(GrpcStatus.DATA_LOSS);
    // The node keeps serving and reports the table suspect.
    const health = await client.health(opts());
    expect(health.state).toBe('STATE_DEGRADED');
    expect(health.details.suspect_tables).toBe(String(table));
  });

  it('stops scanning when the client cancels (server-side count INTERRUPTED, never OK)', async () => {
    const { client, daemon } = await harness.start({ adminPort: 0 });
    // ~4 MB in 1-record batches: far more than HTTP/2 flow control lets the server send before the client reads.
    const writes = Array.from({ length: 4000 }, (_, i): Write => ({ tenant: 't', key: `k${String(i).padStart(5, '0')}`, v: ver({ ht: Date.now() * 1000 + i, value: `"${'v'.repeat(1000)}"` }) }));
    await apply(client, writes, 0);
    let seen = 0;
    for await (const b of client.scanRange({ spec: null, batch_size: 1 }, opts())) {
      seen += b.records.length;
      if (seen === 3) break;
    }
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${daemon.adminPort}/metrics`)).text();
    const line = (text: string, code: string): string | undefined =>
      text.split('\n').find((l) => l.startsWith('pairdb_storage_rpc_total{') && l.includes('rpc="ScanRange"') && l.includes(`code="${code}"`));
    let text = await scrape();
    for (let i = 0; i < 200 && !line(text, 'INTERRUPTED'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      text = await scrape();
    }
    expect(line(text, 'INTERRUPTED')).toMatch(/ 1$/);
    expect(line(text, 'OK')).toBeUndefined();
  });

  it('rejects a malformed tenant list or cursor as INVALID_REQUEST', async () => {
    const { client } = await harness.start();
    const bad = await scanError(client.scanRange({ spec: { ranges: [], tenant_ids: ['no spaces'] } }, opts()));
    expect(bad.code).toBe('INVALID_REQUEST');
    const cursor = await scanError(client.scanRange({ spec: null, resume_after: { tenant_id: 'a\u0000b', key: 'k' } }, opts()));
    expect(cursor.code).toBe('INVALID_REQUEST');
  });
});

describe('storage RangeDigest RPC', () => {
  it('equal digests on two nodes with different flush histories; one extra write changes one leaf', async () => {
    const a = await harness.start({ nodeId: 'n1', dataDir: join(harness.dir, 'n1') });
    const b = await harness.start({ nodeId: 'n2', dataDir: join(harness.dir, 'n2') });
    const writes = makeWrites(21, 600);
    await apply(a.client, writes, 97); // many L0 tables
    await apply(b.client, writes); // memtable only …
    await b.client.compact({ all_levels: true, wait: true }, opts()); // … then flushed and compacted
    const model = modelOf(writes);
    const specs: pb.DigestSpec[] = [
      { range: wireRange(0n, 0n), tenant_ids: [] },
      { range: wireRange(TWO_64 / 3n, TWO_64 / 5n), tenant_ids: [] }, // wraps
      { range: wireRange(0n, 0n), tenant_ids: ['zeta'] },
    ];
    const digest = async (c: StorageClient, depth: number): Promise<pb.RangeDigestResult__Output[]> => {
      const out: pb.RangeDigestResult__Output[] = [];
      for await (const r of c.rangeDigest({ specs, depth }, opts())) out.push(r);
      return out;
    };
    const da = await digest(a.client, 6);
    const db = await digest(b.client, 6);
    expect(da.map((r) => r.spec_index)).toEqual([0, 1, 2]);
    expect(da.every((r) => r.leaves.length === 64)).toBe(true);
    expect(db).toEqual(da);
    expect(Number(da[0]!.key_count)).toBe(model.size);
    expect(Number(da[2]!.key_count)).toBe([...model.values()].filter((m) => m.tenant === 'zeta').length);
    expect(da[0]!.leaves.reduce((n, l) => n + Number(l.key_count), 0)).toBe(model.size);
    // Depth 0 means the default, 10.
    const d0 = await digest(a.client, 0);
    expect(d0[0]!.leaves).toHaveLength(1024);

    // One new sibling on node b for a zeta key: the whole-ring digest differs in exactly one leaf.
    const zeta = [...model.values()].find((m) => m.tenant === 'zeta')!;
    const extra = ver({ writer: 'c9', ht: Date.now() * 1000, value: '"new"' });
    await b.client.write({ record: { tenant_id: 'zeta', key: zeta.key, versions: [versionToWire(extra)] }, purpose: 'PURPOSE_REPAIR', topology_epoch: 1 }, opts());
    const after = await digest(b.client, 6);
    expect(after[0]!.root.equals(da[0]!.root)).toBe(false);
    expect(after[0]!.leaves.filter((l, i) => !l.hash.equals(da[0]!.leaves[i]!.hash))).toHaveLength(1);
    expect(after[2]!.root.equals(da[2]!.root)).toBe(false);
    expect(after[0]!.key_count).toBe(da[0]!.key_count);
  });

  it('depth above 16 is INVALID_REQUEST (INVALID_ARGUMENT) before any result', async () => {
    const { client } = await harness.start();
    const got: unknown[] = [];
    let err: PairdbError | undefined;
    try {
      for await (const r of client.rangeDigest({ specs: [{ range: wireRange(0n, 0n), tenant_ids: [] }], depth: 17 }, opts())) got.push(r);
    } catch (e) {
      err = e as PairdbError;
    }
    expect(got).toEqual([]);
    expect(err?.code).toBe('INVALID_REQUEST');
    expect((err?.cause as { code?: number }).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
