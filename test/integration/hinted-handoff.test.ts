import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageClient } from '../../src/core/rpc/clients.js';
import { clusterHarness } from './cluster-harness.js';

/**
 * Hinted handoff with real processes (issue 4, cluster.md §9): a storage node is killed (SIGKILL) while writes go on
 * at quorum; they succeed, the coordinator keeps hints for the dead replica in its data dir, and once the node is back
 * every key is on it — checked by reading that replica directly over the storage RPC.
 */

const WRITES = 1000; // issue 4: "a node down during 1,000 writes"

describe('hinted handoff (real processes)', () => {
  const h = clusterHarness('pairdb-hints-it-');
  const api = h.api;

  it(`delivers the hints of ${WRITES} quorum writes made while a replica was down, once it is back`, async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'hinted', replication_factor: 3 })).status).toBe(201);
    await h.cluster.killStorage(2, 'SIGKILL');
    for (let i = 0; i < WRITES; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, WRITES - i) }, (_, j) =>
          api('POST', '/v1/key-value', { tenant_id: 'hinted', key: `k${i + j}`, value: i + j, consistency: 'quorum' }),
        ),
      );
      for (const r of batch) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    // The hints are on the coordinator's disk, counted in its metrics.
    const hintDirs = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String);
    expect(hintDirs(h.dataDir).some((p) => p.includes(join('hints', 's3')))).toBe(true);
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${h.cluster.coordinatorAdminUrl}/metrics`)).text();
      const m = new RegExp(`^${name}\\{node="s3"\\} (\\d+)`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };
    expect(await metric('pairdb_coordinator_hints_written_total')).toBe(WRITES);
    expect(await metric('pairdb_coordinator_hints_pending')).toBe(WRITES);

    await h.cluster.restartStorage(2);
    const s3 = new StorageClient(`127.0.0.1:${h.cluster.storage[2]!.port}`);
    try {
      const missing = async (): Promise<string[]> => {
        const out: string[] = [];
        for (let i = 0; i < WRITES; i++) {
          const r = await s3.readUnary({ tenant_id: 'hinted', key: `k${i}`, topology_epoch: '0' }, { requestId: '', deadlineMs: Date.now() + 5000 });
          if (!r.found) out.push(`k${i}`);
        }
        return out;
      };
      // Delivery starts when the coordinator's probe sees the node alive (every 2 s), or at the 10 s sweep.
      let left = await missing();
      const until = Date.now() + 40_000;
      while (left.length > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        left = await missing();
      }
      expect(left).toEqual([]);
      // Every replica holds every key (the two that stayed up acked each quorum write).
      for (const n of [0, 1]) {
        const c = new StorageClient(`127.0.0.1:${h.cluster.storage[n]!.port}`);
        try {
          for (let i = 0; i < WRITES; i++) {
            const r = await c.readUnary({ tenant_id: 'hinted', key: `k${i}`, topology_epoch: '0' }, { requestId: '', deadlineMs: Date.now() + 5000 });
            expect(r.found, `s${n + 1} k${i}`).toBe(true);
          }
        } finally {
          c.close();
        }
      }
      expect(await metric('pairdb_coordinator_hints_replayed_total')).toBe(WRITES);
      expect(await metric('pairdb_coordinator_hints_pending')).toBe(0);
    } finally {
      s3.close();
    }
  }, 90_000);

  it('keeps hints across a coordinator SIGKILL and delivers them after the restart', async () => {
    expect((await api('POST', '/v1/tenants', { tenant_id: 'hinted2', replication_factor: 3 })).status).toBe(201);
    await h.cluster.killStorage(1, 'SIGKILL');
    for (let i = 0; i < 50; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) => api('POST', '/v1/key-value', { tenant_id: 'hinted2', key: `c${i + j}`, value: i + j, consistency: 'quorum' })),
      );
      for (const r of batch) expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    // Acked writes' hints are durable: a SIGKILL of the coordinator loses none of them.
    await h.cluster.killCoordinator('SIGKILL');
    await h.cluster.restartStorage(1);
    await h.cluster.restartCoordinator();
    const s2 = new StorageClient(`127.0.0.1:${h.cluster.storage[1]!.port}`);
    try {
      const missing = async (): Promise<number> => {
        let n = 0;
        for (let i = 0; i < 50; i++) {
          const r = await s2.readUnary({ tenant_id: 'hinted2', key: `c${i}`, topology_epoch: '0' }, { requestId: '', deadlineMs: Date.now() + 5000 });
          if (!r.found) n++;
        }
        return n;
      };
      let left = await missing();
      const until = Date.now() + 40_000;
      while (left > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 500));
        left = await missing();
      }
      expect(left).toBe(0);
    } finally {
      s2.close();
    }
  }, 90_000);
});
