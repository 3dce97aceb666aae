import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { FaultFileSystem } from '../../src/core/engine/fault-file-system.js';
import { NodeFileSystem } from '../../src/core/engine/file-system.js';
import { allTables } from '../../src/core/engine/manifest-format.js';
import { ckeyPosition } from '../../src/core/engine/range-digest.js';
import { verifySSTable } from '../../src/core/engine/sstable-reader.js';
import { readManifestView } from '../../src/core/engine/sstable-tools.js';
import { encodeCkey } from '../../src/core/engine/memtable.js';
import { PairdbError } from '../../src/core/errors.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import { ver, waitUntil } from '../core/engine/helpers.js';
import { storageDaemonHarness } from './storage-harness.js';

/**
 * StorageService Compact and Snapshot over real gRPC (rpc.md §6, cli-and-ops.md §2.6): full and per-level compaction,
 * `drop` removing keys by tenant and ring range, one job at a time, snapshots of hard-linked tables plus a manifest
 * naming exactly them that outlive compaction, list and clear.
 */

const harness = storageDaemonHarness('pairdb-storage-compact-');
const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 60_000 });
const TWO_64 = 1n << 64n;

async function put(client: StorageClient, tenant: string, key: string, i: number): Promise<void> {
  const v = ver({ ht: Date.now() * 1000 + i, value: `"${tenant}-${key}"` });
  await client.write({ record: { tenant_id: tenant, key, versions: [versionToWire(v)] }, purpose: 'PURPOSE_REPAIR', topology_epoch: 1 }, opts());
}

/** 3 tenants × 40 keys, flushed into `tables` L0 tables. */
async function populate(client: StorageClient, tables: number): Promise<string[]> {
  const keys: string[] = [];
  for (const t of ['acme', 'zeta', 'beta']) for (let i = 0; i < 40; i++) keys.push(`${t}/k${i}`);
  const per = Math.ceil(keys.length / tables);
  for (let i = 0; i < keys.length; i += per) {
    await Promise.all(keys.slice(i, i + per).map((k, j) => put(client, k.split('/')[0]!, k.split('/')[1]!, i + j)));
    await client.flush({ wait: true }, opts());
  }
  return keys;
}

async function found(client: StorageClient, tk: string): Promise<boolean> {
  const [tenant, key] = tk.split('/') as [string, string];
  return (await client.read({ tenant_id: tenant, key }, opts())).found;
}

async function failure(p: Promise<unknown>): Promise<PairdbError> {
  try {
    await p;
  } catch (err) {
    return err as PairdbError;
  }
  throw new Error('expected the call to fail');
}

const grpcCode = (e: PairdbError): number | undefined => (e.cause as { code?: number } | undefined)?.code;

describe('storage Compact RPC', () => {
  it('all_levels with wait compacts the L0 tables into one level and reports tables and bytes', async () => {
    const { client, daemon } = await harness.start();
    const keys = await populate(client, 3);
    expect(daemon.engine!.manifestState.tables.get(0)).toHaveLength(3);
    const res = await client.compact({ all_levels: true, wait: true }, opts());
    expect(res.completed).toBe(true);
    expect(res.job_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.tables_in).toBe(3);
    expect(res.tables_out).toBeGreaterThanOrEqual(1);
    expect(res.entries_dropped).toBe('0');
    const levels = [...daemon.engine!.manifestState.tables.keys()];
    expect(levels).toEqual([1]);
    // Three tables of disjoint keys merge without loss: the output holds about what went in.
    expect(Number(res.bytes_reclaimed)).toBeGreaterThanOrEqual(0);
    for (const k of keys) expect(await found(client, k)).toBe(true);
  });

  it('one level: L0 into L1 only; a level without one below is INVALID_REQUEST', async () => {
    const { client, daemon } = await harness.start();
    await populate(client, 2);
    const res = await client.compact({ level: 0, wait: true }, opts());
    expect(res).toMatchObject({ completed: true, tables_in: 2 });
    expect([...daemon.engine!.manifestState.tables.keys()]).toEqual([1]);
    const err = await failure(client.compact({ level: 6, wait: true }, opts()));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(grpcCode(err)).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('drop removes the keys of the listed tenants and ring ranges everywhere; drop without all_levels is INVALID_ARGUMENT', async () => {
    const { client } = await harness.start();
    const keys = await populate(client, 3);
    // A write still in the memtable: compact flushes it first, so it is dropped too.
    await put(client, 'zeta', 'late', 999);
    keys.push('zeta/late');
    const half = { start: '0', end: String(TWO_64 / 2n) };
    const drop = [
      { ranges: [], tenant_ids: ['zeta'] },
      { ranges: [half], tenant_ids: ['acme'] },
    ];
    const bad = await failure(client.compact({ level: 0, all_levels: false, wait: true, drop }, opts()));
    expect(bad.code).toBe('INVALID_REQUEST');
    expect(grpcCode(bad)).toBe(GrpcStatus.INVALID_ARGUMENT);

    const res = await client.compact({ all_levels: true, wait: true, drop }, opts());
    const dropped = (k: string): boolean => {
      const [tenant, key] = k.split('/') as [string, string];
      return tenant === 'zeta' || (tenant === 'acme' && ckeyPosition(encodeCkey(tenant, key)) < TWO_64 / 2n);
    };
    const expectedDropped = keys.filter(dropped);
    expect(expectedDropped.length).toBeGreaterThan(41); // all of zeta and some of acme
    expect(expectedDropped.length).toBeLessThan(81);
    expect(res.entries_dropped).toBe(String(expectedDropped.length));
    for (const k of keys) expect(await found(client, k), k).toBe(!dropped(k));
  });

  it('a second Compact while one runs fails COMPACTION_IN_PROGRESS; wait=false answers completed=false at once', async () => {
    const fs = new FaultFileSystem();
    const { client } = await harness.start({ fs });
    await populate(client, 2);
    await put(client, 'acme', 'unflushed', 1000);
    // The job's first step flushes the memtable; holding fdatasync keeps it there (its manifest EDIT waits).
    const release = fs.holdFdatasync();
    const started = await client.compact({ all_levels: true, wait: false }, opts());
    expect(started).toMatchObject({ completed: false, tables_in: 0, tables_out: 0 });
    const busy = await failure(client.compact({ level: 0, wait: true }, opts()));
    expect(busy.code).toBe('COMPACTION_IN_PROGRESS');
    expect(grpcCode(busy)).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(busy.message).toContain(started.job_id);
    release();
    // Once the background job ends a new one is accepted.
    for (let i = 0; ; i++) {
      try {
        const res = await client.compact({ all_levels: true, wait: true }, opts());
        expect(res.completed).toBe(true);
        break;
      } catch (err) {
        if ((err as PairdbError).code !== 'COMPACTION_IN_PROGRESS' || i > 500) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect(await found(client, 'acme/unflushed')).toBe(true);
  });
});

describe('storage Snapshot RPC', () => {
  it('create links every live table and writes a manifest naming exactly them; the snapshot outlives compaction', async () => {
    const { client, daemon } = await harness.start();
    await populate(client, 2);
    await put(client, 'acme', 'in-memtable', 500); // the snapshot flushes it first
    const t0 = Date.now();
    const res = await client.snapshot({ name: 'before-compact' }, opts());
    const t1 = Date.now();
    expect(res.snapshots).toHaveLength(1);
    const info = res.snapshots[0]!;
    const live = allTables(daemon.engine!.manifestState);
    expect(live).toHaveLength(3);
    expect(info).toMatchObject({ name: 'before-compact', sstables: 3, bytes: String(live.reduce((n, t) => n + t.size, 0)) });
    expect(Number(info.created_at_ms)).toBeGreaterThanOrEqual(t0);
    expect(Number(info.created_at_ms)).toBeLessThanOrEqual(t1);

    const snapDir = join(harness.dir, 'snapshots', 'before-compact');
    const view = await readManifestView(new NodeFileSystem(), snapDir);
    expect(view?.problem).toBeUndefined();
    const named = allTables(view!.state).map((t) => t.file).sort();
    expect(named).toEqual(live.map((t) => t.file).sort());
    const files = readdirSync(join(snapDir, 'sst')).sort();
    expect(files.map((f) => Number(f.slice(0, 20)))).toEqual(named);
    // Hard links: the same inode as the live table.
    for (const f of files) expect(statSync(join(snapDir, 'sst', f)).ino).toBe(statSync(join(harness.dir, 'sst', f)).ino);

    // Compaction replaces and unlinks the live tables; the snapshot's stay whole.
    await client.compact({ all_levels: true, wait: true }, opts());
    // (The replaced tables are unlinked once their readers close, just after the EDIT.)
    await waitUntil(() => files.every((f) => !existsSync(join(harness.dir, 'sst', f))), 'compacted tables unlinked');
    for (const f of files) expect((await verifySSTable(new NodeFileSystem(), join(snapDir, 'sst', f))).ok).toBe(true);
  });

  it('list, clear, name rules: taken → ALREADY_EXISTS, unknown clear → NOT_FOUND, bad name → INVALID_ARGUMENT', async () => {
    const { client } = await harness.start();
    await populate(client, 1);
    await client.snapshot({ name: 'b' }, opts());
    const auto = (await client.snapshot({}, opts())).snapshots[0]!; // default: the UTC time
    expect(auto.name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    await client.snapshot({ name: 'a.1_x-y' }, opts());

    const taken = await failure(client.snapshot({ name: 'b' }, opts()));
    expect(taken.code).toBe('SNAPSHOT_EXISTS');
    expect(grpcCode(taken)).toBe(GrpcStatus.ALREADY_EXISTS);
    for (const name of ['..', '.', 'a/b', 'x'.repeat(129), 'sp ace']) {
      const e = await failure(client.snapshot({ name }, opts()));
      expect(e.code, name).toBe('INVALID_REQUEST');
      expect(grpcCode(e)).toBe(GrpcStatus.INVALID_ARGUMENT);
    }
    const both = await failure(client.snapshot({ list: true, clear: 'b' }, opts()));
    expect(both.code).toBe('INVALID_REQUEST');

    const list = (await client.snapshot({ list: true }, opts())).snapshots;
    expect(list.map((s) => s.name)).toEqual(['b', auto.name, 'a.1_x-y']); // oldest first
    expect(list.every((s) => s.sstables === 1)).toBe(true);

    const missing = await failure(client.snapshot({ clear: 'nope' }, opts()));
    expect(missing.code).toBe('SNAPSHOT_NOT_FOUND');
    expect(grpcCode(missing)).toBe(GrpcStatus.NOT_FOUND);
    const cleared = await client.snapshot({ clear: 'b' }, opts());
    expect(cleared.snapshots.map((s) => s.name)).toEqual(['b']);
    expect(existsSync(join(harness.dir, 'snapshots', 'b'))).toBe(false);
    expect((await client.snapshot({ list: true }, opts())).snapshots.map((s) => s.name)).toEqual([auto.name, 'a.1_x-y']);
    // No temporary leftovers.
    expect(readdirSync(join(harness.dir, 'snapshots')).sort()).toEqual([auto.name, 'a.1_x-y'].sort());
  });
});
