import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterHarness } from './cluster-harness.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import { CoordinatorClient } from '../../src/core/rpc/clients.js';
import type * as pb from '../../src/core/rpc/types.js';
import { ver } from '../core/engine/helpers.js';
import { pairdb } from '../e2e/cli-harness.js';

/**
 * Operator features with real processes: the coordinator's `--repair-interval` schedule converges diverged replicas
 * without anyone calling Repair (and records the runs, the metrics and last_repair_completed_at_ms), and
 * `pairdb migration status [--watch]` on the node_addition migrations the new-cluster shortcut completed, and
 * `node add --wait` on a real migration.
 */

describe('operations (real processes)', () => {
  const h = clusterHarness('pairdb-ops-it-', { coordinatorArgs: ['--repair-interval', '2s'] });

  const opts = () => ({ requestId: 'test', deadlineMs: Date.now() + 30_000 });
  const metadata = () => JSON.parse(readFileSync(join(h.dataDir, 'coordinator', 'metadata', 'metadata.json'), 'utf8'));
  const rootOf = async (node: number): Promise<string> => {
    for await (const r of h.storage[node]!.rangeDigest({ specs: [{ range: { start: '0', end: '0' }, tenant_ids: ['ops'] }], depth: 6 }, opts())) {
      return Buffer.from(r.root).toString('hex');
    }
    throw new Error('no digest');
  };

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 150_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what}: not within ${timeoutMs} ms`);
  }

  it('`migration status` shows a completed node_addition, `--watch` exits 0 at once, an unknown id exits 3', async () => {
    const ids = Object.keys(metadata().migrations);
    expect(ids).toHaveLength(3);
    const env = { PAIRDB_URL: h.cluster.gatewayUrl };
    const shown = await pairdb(['migration', 'status', ids[0]!, '-o', 'json'], { env });
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ migration_id: ids[0], type: 'node_addition', migration_status: 'completed' });
    const watched = await pairdb(['migration', 'status', ids[1]!, '--watch'], { env });
    expect(watched.exitCode, watched.stderr).toBe(0);
    // Not a terminal: one ndjson line per poll, here the first poll is already terminal.
    const lines = watched.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).migration_status).toBe('completed');
    const missing = await pairdb(['migration', 'status', 'mig-00000000-0000-4000-8000-000000000000', '--watch'], { env });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toMatch(/MIGRATION_NOT_FOUND/);
  }, 60_000);

  it('the periodic repair makes diverged replicas equal without a repair call, and records it', async () => {
    const coord = new CoordinatorClient(h.cluster.coordinatorAddress);
    try {
      await coord.createTenant({ tenant_id: 'ops', replication_factor: 3, conflict_resolution: 'CONFLICT_LWW' } as pb.CreateTenantRequest, opts());
      const base = Date.now() * 1000;
      // Each key goes to one storage node only, as if the other two had missed it.
      for (let i = 0; i < 30; i++) {
        await h.storage[i % 3]!.writeUnary(
          { record: { tenant_id: 'ops', key: `k${i}`, versions: [versionToWire(ver({ writer: 'c1', ht: base + i, value: `"v${i}"` }))], recent_writes: [] }, purpose: 'PURPOSE_REPAIR', topology_epoch: '0' },
          opts(),
        );
      }
      await until('replicas converge', async () => new Set(await Promise.all([0, 1, 2].map(rootOf))).size === 1);
      for (const n of [0, 1, 2]) {
        for (const i of [0, 1, 2, 29]) expect((await h.storage[n]!.readUnary({ tenant_id: 'ops', key: `k${i}`, topology_epoch: '0' }, opts())).found, `s${n + 1} k${i}`).toBe(true);
      }
      // The run that repaired them is recorded, and the cluster status reports it once it has completed.
      await until('a completed run that repaired keys', async () =>
        Object.values(metadata().repair_runs as Record<string, { status: string; keys_repaired: number }>).some((r) => r.status === 'completed' && r.keys_repaired > 0),
      );
      const status = await coord.clusterStatus(opts());
      expect(Number(status.last_repair_completed_at_ms)).toBeGreaterThan(0);
      const metrics = await (await fetch(`${h.cluster.coordinatorAdminUrl}/metrics`)).text();
      expect(metrics).toMatch(/pairdb_coordinator_repair_ranges_total\{result="repaired"\} [1-9]/);
      expect(metrics).toMatch(/pairdb_coordinator_repair_keys_streamed_total [1-9]/);
    } finally {
      coord.close();
    }
  }, 240_000);

  it('`node add --wait` follows a real node_addition (tenant data moving) to completed, while the schedule keeps running', async () => {
    const i = await h.cluster.startExtraStorage('s4');
    const env = { PAIRDB_URL: h.cluster.gatewayUrl };
    const r = await pairdb(['node', 'add', '--id', 's4', '--addr', `127.0.0.1:${h.cluster.storage[i]!.port}`, '--wait', '--interval', '200ms', '-o', 'ndjson'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ status: 'accepted', node_id: 's4' });
    expect(lines.slice(1).every((l) => l.migration_id === lines[0].migration_id)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'node_addition', migration_status: 'completed' });
    // Afterwards the schedule goes on with the new ring: another run completes.
    const after = Date.now();
    await until('a periodic run after the migration', async () =>
      Object.values(metadata().repair_runs as Record<string, { status: string; started_at: string }>).some((x) => x.status === 'completed' && Date.parse(x.started_at) > after),
    );
  }, 240_000);
});
