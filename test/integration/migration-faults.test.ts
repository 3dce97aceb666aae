import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayCall, parallel } from './cluster-harness.js';
import { LocalCluster } from '../../src/bench/local-cluster.js';
import { keyPosition, Ring } from '../../src/core/cluster/ring.js';
import { CoordinatorClient, StorageClient } from '../../src/core/rpc/clients.js';

/**
 * Migrations under faults and RF changes, on real processes: the coordinator SIGKILLed mid-migration and restarted
 * finishes it; RF 2→3 streams to the new replicas and 3→2 repairs the remaining ones and, after the cleanup grace,
 * drops the extra copies; a migration that cannot finish before its timeout rolls back to the old placement;
 * RemoveStorageNode of a joining node cancels its addition; queued changes run one at a time in creation order.
 */

let dataDir = '';
let cluster: LocalCluster;
let coord: CoordinatorClient;
const opts = (ms = 10_000) => ({ requestId: '', deadlineMs: Date.now() + ms });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pairdb-migfault-'));
  cluster = new LocalCluster({ dataDir, nodes: 3, coordinatorArgs: ['--migration-cleanup-grace', '1s', '--migration-poll-interval', '500ms'] });
  await cluster.start();
  coord = new CoordinatorClient(cluster.coordinatorAddress);
}, 60_000);

afterAll(async () => {
  coord?.close();
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) => gatewayCall(cluster.gatewayUrl, method, path, body);

async function load(tenant: string, n: number): Promise<void> {
  await parallel(n, 64, async (i) => {
    await coord.write({ tenant_id: tenant, key: `k${i}`, value: Buffer.from(`"${tenant}-${i}"`), consistency: 'CONSISTENCY_QUORUM' }, opts(20_000));
  });
}

async function waitMigration(id: string, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await api('GET', `/v1/admin/migrations/${id}`).catch(() => undefined);
    if (r?.status === 200 && ['completed', 'failed', 'cancelled'].includes(r.body.migration_status)) return r.body;
    if (Date.now() > until) throw new Error(`migration ${id} not finished: ${JSON.stringify(r?.body)}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

function storageClients(): Map<string, StorageClient> {
  return new Map(cluster.storage.map((n) => [n.nodeId, new StorageClient(`127.0.0.1:${n.port}`)]));
}

/** Keys of `tenant` held by each node (read directly over the storage RPC). */
async function holders(tenant: string, n: number): Promise<Map<number, Set<string>>> {
  const clients = storageClients();
  const out = new Map<number, Set<string>>();
  try {
    await parallel(n, 32, async (i) => {
      const set = new Set<string>();
      for (const [id, c] of clients) {
        const r = await c.read({ tenant_id: tenant, key: `k${i}`, topology_epoch: '0' }, opts()).catch(() => undefined);
        if (r?.found) set.add(id);
      }
      out.set(i, set);
    });
  } finally {
    for (const c of clients.values()) c.close();
  }
  return out;
}

describe('migrations under faults', () => {
  it('RF 2→3 streams to the new replicas; 3→2 keeps every key on its 2 replicas and drops the extra copies after grace', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'rf', replication_factor: 2 })).status).toBe(201);
    const N = 2000;
    await load('rf', N);
    const up = await api('PUT', '/v1/tenants/rf/replication-factor', { replication_factor: 3 });
    expect(up.status).toBe(200);
    expect(up.body.migration_id).toMatch(/^mig-/);
    const m1 = await waitMigration(up.body.migration_id);
    expect(m1.migration_status).toBe('completed');
    for (const [i, set] of await holders('rf', N)) expect([i, [...set].sort()]).toEqual([i, ['s1', 's2', 's3']]);
    expect((await api('GET', '/v1/tenants/rf')).body.replication_factor).toBe(3);

    const down = await api('PUT', '/v1/tenants/rf/replication-factor', { replication_factor: 2 });
    const m2 = await waitMigration(down.body.migration_id);
    expect(m2.migration_status).toBe('completed');
    // The cleanup after grace (1 s here) compacts the extra copies away.
    const ring = new Ring(['s1', 's2', 's3'].map((nodeId) => ({ nodeId, virtualNodes: 150 })));
    const until = Date.now() + 60_000;
    let wrong: string[] = [];
    do {
      await new Promise((r) => setTimeout(r, 1000));
      wrong = [];
      for (const [i, set] of await holders('rf', N)) {
        const want = [...ring.preferenceListAt(keyPosition('rf', `k${i}`), 2)].sort();
        if ([...set].sort().join() !== want.join()) wrong.push(`k${i}: ${[...set].sort()} want ${want}`);
      }
    } while (wrong.length > 0 && Date.now() < until);
    expect(wrong.slice(0, 5)).toEqual([]);
    for (let i = 0; i < N; i += 97) {
      const r = await coord.read({ tenant_id: 'rf', key: `k${i}`, consistency: 'CONSISTENCY_ALL' }, opts());
      expect(r.value.toString()).toBe(`"rf-${i}"`);
    }
  }, 300_000);

  it('queued changes run one at a time in creation order', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'q1', replication_factor: 2 })).status).toBe(201);
    expect((await api('POST', '/v1/tenants', { tenant_id: 'q2', replication_factor: 2 })).status).toBe(201);
    await load('q1', 500);
    await load('q2', 500);
    const a = await api('PUT', '/v1/tenants/q1/replication-factor', { replication_factor: 3 });
    const b = await api('PUT', '/v1/tenants/q2/replication-factor', { replication_factor: 3 });
    // The projected value is a no-op: no second migration for q1.
    const again = await api('PUT', '/v1/tenants/q1/replication-factor', { replication_factor: 3 });
    expect(again.body.migration_id).toBeNull();
    const ma = await waitMigration(a.body.migration_id);
    const mb = await waitMigration(b.body.migration_id);
    expect([ma.migration_status, mb.migration_status]).toEqual(['completed', 'completed']);
    expect(Date.parse(mb.started_at)).toBeGreaterThanOrEqual(Date.parse(ma.completed_at));
  }, 300_000);

  it('coordinator kill -9 mid-migration: the restarted coordinator finishes it', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'kill', replication_factor: 3 })).status).toBe(201);
    const N = 20_000;
    await load('kill', N);
    const idx = await cluster.startExtraStorage('s4');
    const add = await api('POST', '/v1/admin/storage-nodes', { node_id: 's4', host: '127.0.0.1', port: cluster.storage[idx]!.port });
    expect(add.status).toBe(202);
    // Kill once streaming has made progress (or at the latest after 3 s).
    const until = Date.now() + 3000;
    for (;;) {
      const r = await api('GET', `/v1/admin/migrations/${add.body.migration_id}`);
      if (r.body.progress.keys_migrated > 0 || Date.now() > until) {
        expect(r.body.migration_status).toBe('in_progress');
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    await cluster.killCoordinator('SIGKILL');
    await cluster.restartCoordinator();
    coord.close();
    coord = new CoordinatorClient(cluster.coordinatorAddress);
    const m = await waitMigration(add.body.migration_id, 180_000);
    expect(m.migration_status).toBe('completed');
    expect(m.progress.percentage).toBe(100);
    const ring = new Ring(['s1', 's2', 's3', 's4'].map((nodeId) => ({ nodeId, virtualNodes: 150 })));
    const held = await holders('kill', 3000);
    for (const [i, set] of held) {
      for (const id of ring.preferenceListAt(keyPosition('kill', `k${i}`), 3)) expect([`k${i}`, id, set.has(id)]).toEqual([`k${i}`, id, true]);
    }
  }, 300_000);

  it('a storage node SIGKILLed and restarted mid-migration: 0 failed QUORUM requests, the removal completes', async () => {
    // QUORUM writes and read-backs on `kill` keys while s4 leaves and s2 (a gainer and source) dies for a while.
    const failures: string[] = [];
    let stopped = false;
    let ops = 0;
    const load = Array.from({ length: 3 }, async (_, w) => {
      for (let round = 1; !stopped; round++) {
        const key = `k${(round * 3 + w) % 20_000}`;
        try {
          await coord.write({ tenant_id: 'kill', key, value: Buffer.from(`"load-${w}-${round}"`), consistency: 'CONSISTENCY_QUORUM' }, opts());
          const r = await coord.read({ tenant_id: 'kill', key, consistency: 'CONSISTENCY_QUORUM' }, opts());
          if (r.value.toString() !== `"load-${w}-${round}"`) failures.push(`${key}: read ${r.value.toString()}`);
          ops += 2;
        } catch (err) {
          failures.push(`${key}: ${(err as Error).message}`);
        }
      }
    });
    try {
      const rm = await api('DELETE', '/v1/admin/storage-nodes/s4');
      expect(rm.status).toBe(202);
      const until = Date.now() + 5000;
      for (;;) {
        const r = await api('GET', `/v1/admin/migrations/${rm.body.migration_id}`);
        if (r.body.progress.keys_migrated > 0 || Date.now() > until) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      await cluster.killStorage(1, 'SIGKILL');
      await new Promise((res) => setTimeout(res, 3000));
      await cluster.restartStorage(1);
      const m = await waitMigration(rm.body.migration_id, 180_000);
      expect(m.migration_status, m.error ?? '').toBe('completed');
    } finally {
      stopped = true;
      await Promise.all(load);
    }
    expect(ops).toBeGreaterThan(0);
    expect(failures.slice(0, 5)).toEqual([]);
    // Every sampled key is on its new replicas, s2 included (its missed writes came back by hints and streams).
    const ring = new Ring(['s1', 's2', 's3'].map((nodeId) => ({ nodeId, virtualNodes: 150 })));
    const held = await holders('kill', 2000);
    const missing: string[] = [];
    for (const [i, set] of held) for (const id of ring.preferenceListAt(keyPosition('kill', `k${i}`), 3)) if (!set.has(id)) missing.push(`k${i}@${id}`);
    expect(missing.slice(0, 5)).toEqual([]);
  }, 300_000);

  it('a migration that cannot finish before its timeout rolls back: the node is failed, the old placement serves', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--migration-timeout', '3s', '--migration-poll-interval', '500ms']);
    coord.close();
    coord = new CoordinatorClient(cluster.coordinatorAddress);
    const idx = await cluster.startExtraStorage('s5');
    const s5 = cluster.storage[idx]!;
    const add = await api('POST', '/v1/admin/storage-nodes', { node_id: 's5', host: '127.0.0.1', port: s5.port });
    expect(add.status).toBe(202);
    // The joining node stops answering: its streams cannot complete.
    s5.proc.child.kill('SIGSTOP');
    try {
      const m = await waitMigration(add.body.migration_id, 60_000);
      expect(m.migration_status).toBe('failed');
      expect(m.error).toBe('timeout');
      const nodes = await api('GET', '/v1/admin/storage-nodes');
      expect(nodes.body.nodes.find((n: any) => n.node_id === 's5')?.status).toBe('failed');
      // The old placement serves reads and writes with s5 gone from it.
      await coord.write({ tenant_id: 'kill', key: 'after-rollback', value: Buffer.from('"ok"'), consistency: 'CONSISTENCY_ALL' }, opts());
      const r = await coord.read({ tenant_id: 'kill', key: 'k1', consistency: 'CONSISTENCY_ALL' }, opts());
      expect(r.value.toString()).toBe('"kill-1"');
    } finally {
      s5.proc.child.kill('SIGCONT');
    }
  }, 120_000);

  it('removing a joining node cancels its addition', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--migration-poll-interval', '500ms']);
    coord.close();
    coord = new CoordinatorClient(cluster.coordinatorAddress);
    const idx = await cluster.startExtraStorage('s6');
    const s6 = cluster.storage[idx]!;
    const add = await api('POST', '/v1/admin/storage-nodes', { node_id: 's6', host: '127.0.0.1', port: s6.port });
    expect(add.status).toBe(202);
    s6.proc.child.kill('SIGSTOP'); // keeps the addition from finishing before the cancel arrives
    try {
      const rm = await api('DELETE', '/v1/admin/storage-nodes/s6');
      expect(rm.status).toBe(202);
      expect(rm.body.migration_id).toBe(add.body.migration_id);
      const m = await waitMigration(add.body.migration_id, 60_000);
      expect(m.migration_status).toBe('cancelled');
      const nodes = await api('GET', '/v1/admin/storage-nodes');
      expect(nodes.body.nodes.map((n: any) => n.node_id)).not.toContain('s6');
    } finally {
      s6.proc.child.kill('SIGCONT');
    }
  }, 120_000);
  it('a stream source that stays down is replaced by the other replicas, and the addition completes without it', async () => {
    await cluster.killCoordinator('SIGTERM');
    await cluster.restartCoordinator(['--migration-poll-interval', '500ms', '--migration-source-down-grace', '2s']);
    coord.close();
    coord = new CoordinatorClient(cluster.coordinatorAddress);
    const idx = await cluster.startExtraStorage('s7');
    const s1 = cluster.storage[0]!;
    const add = await api('POST', '/v1/admin/storage-nodes', { node_id: 's7', host: '127.0.0.1', port: cluster.storage[idx]!.port });
    expect(add.status).toBe(202);
    s1.proc.child.kill('SIGSTOP');
    try {
      const m = await waitMigration(add.body.migration_id, 120_000);
      expect(m.migration_status, m.error ?? '').toBe('completed');
      // s1's tasks were replaced: they stay recorded as failed next to their replacements.
      const st = await coord.getMigrationStatus({ migration_id: add.body.migration_id }, opts());
      expect(st.tasks_completed).toBeLessThan(st.tasks_total);
      // s7 holds every `kill` key it replicates now, s1's share included, although s1 never answered.
      const ring = new Ring(['s1', 's2', 's3', 's7'].map((nodeId) => ({ nodeId, virtualNodes: 150 })));
      const s7 = new StorageClient(`127.0.0.1:${cluster.storage[idx]!.port}`);
      try {
        const missing: string[] = [];
        await parallel(3000, 32, async (i) => {
          if (!ring.preferenceListAt(keyPosition('kill', `k${i}`), 3).includes('s7')) return;
          const r = await s7.read({ tenant_id: 'kill', key: `k${i}`, topology_epoch: '0' }, opts());
          if (!r.found) missing.push(`k${i}`);
        });
        expect(missing.slice(0, 5)).toEqual([]);
      } finally {
        s7.close();
      }
    } finally {
      s1.proc.child.kill('SIGCONT');
    }
  }, 180_000);
});
