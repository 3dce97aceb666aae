import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterHarness } from './cluster-harness.js';
import { CoordinatorClient } from '../../src/core/rpc/clients.js';
import { versionFromWire, versionToWire } from '../../src/core/model/version-wire.js';
import type * as pb from '../../src/core/rpc/types.js';
import { ver } from '../core/engine/helpers.js';
import { keyPosition } from '../../src/core/cluster/ring.js';
import { pairdb } from '../e2e/cli-harness.js';

/**
 * Anti-entropy with real processes (issue 4, cluster.md §14): replicas made divergent on purpose (writes sent to
 * single storage nodes, a delete one replica missed) converge after a Repair run: equal digests everywhere, every
 * key on every replica, and the deleted key stays deleted.
 */

describe('repair (real processes)', () => {
  const h = clusterHarness('pairdb-repair-it-');

  const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 30_000 });
  const base = Date.now() * 1000;
  const put = (node: number, key: string, i: number, tombstone = false) =>
    h.storage[node]!.writeUnary(
      {
        record: { tenant_id: 'rep', key, versions: [versionToWire(ver({ writer: 'c1', ht: base + i, value: tombstone ? undefined : `"${key}-${i}"`, tombstone }))], recent_writes: [] },
        purpose: 'PURPOSE_REPAIR',
        topology_epoch: '0',
      },
      opts(),
    );
  const rootOf = async (node: number): Promise<string> => {
    for await (const r of h.storage[node]!.rangeDigest({ specs: [{ range: { start: '0', end: '0' }, tenant_ids: ['rep'] }], depth: 8 }, opts())) {
      return Buffer.from(r.root).toString('hex');
    }
    throw new Error('no digest');
  };

  it('makes divergent replicas equal, including a delete one replica missed', async () => {
    const coord = new CoordinatorClient(h.cluster.coordinatorAddress);
    try {
      await coord.createTenant({ tenant_id: 'rep', replication_factor: 3, conflict_resolution: 'CONFLICT_LWW' } as pb.CreateTenantRequest, opts());
      // Each node gets its own keys; "gone" is written everywhere, then deleted on two nodes only.
      for (let i = 0; i < 60; i++) await put(i % 3, `k${i}`, i);
      for (const n of [0, 1, 2]) await put(n, 'gone', 1000);
      for (const n of [0, 1]) await put(n, 'gone', 2000, true);
      const before = await Promise.all([0, 1, 2].map(rootOf));
      expect(new Set(before).size).toBe(3);

      let final: pb.RepairProgress__Output | undefined;
      let messages = 0;
      for await (const p of coord.repair({ tenant_id: 'rep', depth: 8 }, { requestId: 'test', deadlineMs: Date.now() + 120_000 })) {
        final = p;
        messages++;
      }
      expect(final?.state).toBe('REPAIR_COMPLETED');
      expect(messages).toBeGreaterThan(1);
      expect(final!.ranges_done).toBe(final!.ranges_total);
      expect(Number(final!.keys_repaired)).toBeGreaterThanOrEqual(121); // 40 keys × 2 replicas each + "gone" on s3

      const after = await Promise.all([0, 1, 2].map(rootOf));
      expect(new Set(after).size).toBe(1);
      for (const n of [0, 1, 2]) {
        for (let i = 0; i < 60; i += 7) expect((await h.storage[n]!.readUnary({ tenant_id: 'rep', key: `k${i}`, topology_epoch: '0' }, opts())).found, `s${n + 1} k${i}`).toBe(true);
        const gone = await h.storage[n]!.readUnary({ tenant_id: 'rep', key: 'gone', topology_epoch: '0' }, opts());
        expect(gone.record!.versions.map(versionFromWire).every((v) => v.tombstone), `s${n + 1} gone`).toBe(true);
      }
      // A second run finds nothing to do.
      let again: pb.RepairProgress__Output | undefined;
      for await (const p of coord.repair({ tenant_id: 'rep', depth: 8 }, { requestId: 'test', deadlineMs: Date.now() + 120_000 })) again = p;
      expect(Number(again!.leaves_mismatched)).toBe(0);
      await expect(
        (async () => {
          for await (const _ of coord.repair({ tenant_id: 'nope' }, opts()));
        })(),
      ).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    } finally {
      coord.close();
    }
  }, 120_000);

  it('`pairdb repair` prints the summary and exits 0, 3 for an unknown tenant', async () => {
    const env = { PAIRDB_COORDINATOR: h.cluster.coordinatorAddress };
    const ok = await pairdb(['repair', '--tenant', 'rep', '--depth', '6', '-o', 'json'], { env });
    expect(ok.exitCode, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.state).toBe('REPAIR_COMPLETED');
    expect(out.ranges_done).toBe(out.ranges_total);
    const table = await pairdb(['repair', '--tenant', 'rep', '--dry-run', '-o', 'table'], { env });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/RANGES\s+MISMATCHED\s+KEYS STREAMED\s+DURATION/);
    const missing = await pairdb(['repair', '--tenant', 'nope'], { env });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/TENANT_NOT_FOUND/);
  }, 60_000);

  it('`pairdb repair --range` repairs the keys inside the range only', async () => {
    const coord = new CoordinatorClient(h.cluster.coordinatorAddress);
    try {
      await coord.createTenant({ tenant_id: 'rng', replication_factor: 3, conflict_resolution: 'CONFLICT_LWW' } as pb.CreateTenantRequest, opts());
    } finally {
      coord.close();
    }
    const HALF = 1n << 63n;
    const keys = Array.from({ length: 40 }, (_, i) => `r${i}`);
    // Every key is written to s1 only.
    for (const [i, key] of keys.entries()) {
      await h.storage[0]!.writeUnary(
        { record: { tenant_id: 'rng', key, versions: [versionToWire(ver({ writer: 'c1', ht: base + i, value: `"${i}"` }))], recent_writes: [] }, purpose: 'PURPOSE_REPAIR', topology_epoch: '0' },
        opts(),
      );
    }
    const inside = keys.filter((k) => keyPosition('rng', k) < HALF);
    const outside = keys.filter((k) => keyPosition('rng', k) >= HALF);
    expect(inside.length).toBeGreaterThan(0);
    expect(outside.length).toBeGreaterThan(0);
    const env = { PAIRDB_COORDINATOR: h.cluster.coordinatorAddress };
    const r = await pairdb(['repair', '--tenant', 'rng', '--range', `0:${HALF}`, '-o', 'json'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).keys_repaired).toBe(String(inside.length * 2));
    const found = async (node: number, key: string) => (await h.storage[node]!.readUnary({ tenant_id: 'rng', key, topology_epoch: '0' }, opts())).found;
    for (const k of inside) for (const n of [1, 2]) expect(await found(n, k), `s${n + 1} ${k}`).toBe(true);
    for (const k of outside) for (const n of [1, 2]) expect(await found(n, k), `s${n + 1} ${k}`).toBe(false);
    const bad = await pairdb(['repair', '--range', '10-20'], { env });
    expect(bad.exitCode).toBe(2);
  }, 120_000);

  it('Ctrl-C cancels `pairdb repair` (exit 130) and the coordinator records the run as aborted', async () => {
    const coord = new CoordinatorClient(h.cluster.coordinatorAddress);
    try {
      await coord.createTenant({ tenant_id: 'ctl', replication_factor: 3, conflict_resolution: 'CONFLICT_LWW' } as pb.CreateTenantRequest, opts());
    } finally {
      coord.close();
    }
    const env = { PAIRDB_COORDINATOR: h.cluster.coordinatorAddress };
    const proc = pairdb(['repair', '--depth', '12'], { env });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // The first note comes with the plan, before any range is compared.
    const until = Date.now() + 60_000;
    while (!stderr.includes('note: ranges') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/note: ranges 0\/[1-9]/);
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/INTERRUPTED/);
    const runs = () => Object.values(JSON.parse(readFileSync(join(h.dataDir, 'coordinator', 'metadata', 'metadata.json'), 'utf8')).repair_runs) as Array<{ status: string; tenant_id: string | null }>;
    const deadline = Date.now() + 60_000;
    while (!runs().some((x) => x.status === 'aborted') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(runs().filter((x) => x.status === 'aborted' && x.tenant_id === null)).toHaveLength(1);
  }, 120_000);
});
