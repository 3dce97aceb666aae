import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeRegistry } from '../../../src/core/cluster/node-registry.js';
import { RepairService } from '../../../src/core/cluster/repair-service.js';
import { EmbeddedMetadataStore } from '../../../src/core/metadata/embedded-metadata-store.js';
import type { MigrationRecord, StorageNodeRecord } from '../../../src/core/metadata/metadata-store.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import { StorageClient } from '../../../src/core/rpc/clients.js';

/**
 * The rules of RepairService (cluster.md §14) over a real embedded metadata store: refused during a migration,
 * aborted when the epoch moves, recorded in repair_runs. The storage nodes are never called in these cases (the
 * run stops before its first item), so their addresses need no server.
 */

const T0 = Date.parse('2025-03-01T09:30:00.000Z');
const node = (id: string, port: number): StorageNodeRecord => ({ nodeId: id, host: '127.0.0.1', port, virtualNodes: 8, state: 'normal', createdAtMs: T0, updatedAtMs: T0, stateChangedAtMs: T0 });

function migration(status: MigrationRecord['status']): MigrationRecord {
  return {
    migrationId: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e', type: 'node_addition', nodeId: 's4', tenantId: null, oldRf: null, newRf: null,
    status, phase: status === 'in_progress' ? 'streaming' : 'done', force: false, rfGroups: null, maxRf: null, keysMigrated: 0, totalKeys: 0,
    driverGeneration: 0, errorMessage: null, cleanup: [], createdAtMs: T0, updatedAtMs: T0, deadlineAtMs: null, startedAtMs: T0,
    completedAtMs: null, cleanupAfterMs: null, cleanedUpAtMs: null, tasks: [],
  };
}

describe('RepairService', () => {
  let dir: string;
  let store: EmbeddedMetadataStore;
  let registry: NodeRegistry;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pairdb-repair-svc-'));
    store = new EmbeddedMetadataStore({ dataDir: dir, coordinatorId: 'c1' });
    await store.open();
    registry = new NodeRegistry({ clientFactory: (a) => new StorageClient(a), logger: silentLogger() });
    const nodes = [node('s1', 1), node('s2', 2), node('s3', 3)];
    await store.commitTopologyChange({ nodes });
    registry.update(nodes);
    await store.createTenant({ tenantId: 'acme', replicationFactor: 3, conflictResolution: 'lww', writeRatePerMin: null, readRatePerMin: null, createdAtMs: T0, updatedAtMs: T0, version: 1 });
  });

  afterEach(async () => {
    registry.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to run while a migration is in progress with TOPOLOGY_CHANGE_IN_PROGRESS, recording nothing', async () => {
    await store.commitTopologyChange({ migrations: [migration('in_progress')] });
    const svc = new RepairService({ store, registry, epoch: () => 1, logger: silentLogger() });
    await expect(svc.run({ tenantId: 'acme' })).rejects.toMatchObject({ code: 'TOPOLOGY_CHANGE_IN_PROGRESS' });
    expect(await store.listRepairRuns(10)).toEqual([]);
    expect(svc.running).toBe(false);
  });

  it('ends a run `aborted` when the topology epoch changes, and records it', async () => {
    let epoch = 5;
    const svc = new RepairService({ store, registry, epoch: () => epoch, logger: silentLogger() });
    const seen: string[] = [];
    const final = await svc.run(
      { tenantId: 'acme' },
      {
        onProgress: (p) => {
          seen.push(String(p.state));
          epoch = 6; // a node joins right after the run planned its items
        },
      },
    );
    expect(final.state).toBe('REPAIR_ABORTED');
    expect(final.ranges_done).toBe(0);
    expect(final.ranges_total).toBeGreaterThan(0);
    expect(seen).toEqual(['REPAIR_RUNNING']);
    const [run] = await store.listRepairRuns(10);
    expect(run).toMatchObject({ runId: final.run_id, status: 'aborted', tenantId: 'acme', rangesTotal: final.ranges_total });
    expect(run!.errorMessage).toMatch(/epoch/);
    expect(run!.finishedAtMs).not.toBeNull();
    expect(await store.lastRepairCompletedAtMs()).toBe(0);
  });

  it('answers REPAIR_IN_PROGRESS to a second run while one is going, and unknown filters with their not-found codes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let epoch = 1;
    const svc = new RepairService({ store, registry, epoch: () => epoch, logger: silentLogger() });
    const first = svc.run({}, { onProgress: async () => { epoch = 2; await gate; } });
    await expect.poll(() => svc.running).toBe(true);
    await expect(svc.run({})).rejects.toMatchObject({ code: 'REPAIR_IN_PROGRESS' });
    release();
    expect((await first).state).toBe('REPAIR_ABORTED');
    await expect(svc.run({ tenantId: 'nope' })).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    await expect(svc.run({ nodeId: 's9' })).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
  });

  it('marks runs left `running` by a stopped coordinator as aborted', async () => {
    await store.saveRepairRun({ runId: '00000000-0000-4000-8000-000000000001', tenantId: null, nodeId: null, status: 'running', startedAtMs: T0, finishedAtMs: null, rangesTotal: 9, rangesDone: 3, rangesSkipped: 0, keysRepaired: 1, errorMessage: null });
    await new RepairService({ store, registry, epoch: () => 1, logger: silentLogger() }).closeInterruptedRuns();
    expect((await store.listRepairRuns(1))[0]).toMatchObject({ status: 'aborted', rangesDone: 3 });
  });
});
