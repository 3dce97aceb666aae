import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedMetadataStore, MAX_REPAIR_RUNS } from '../../../src/core/metadata/embedded-metadata-store.js';
import type { MigrationRecord, RepairRunRecord, StorageNodeRecord, TenantRecord } from '../../../src/core/metadata/metadata-store.js';

const T0 = Date.parse('2025-03-01T09:30:00.000Z');

function tenant(id: string, rf = 3): TenantRecord {
  return { tenantId: id, replicationFactor: rf, conflictResolution: 'lww', writeRatePerMin: null, readRatePerMin: 500, createdAtMs: T0, updatedAtMs: T0, version: 1 };
}

function node(id: string, port: number): StorageNodeRecord {
  return { nodeId: id, host: '127.0.0.1', port, virtualNodes: 150, state: 'normal', createdAtMs: T0, updatedAtMs: T0, stateChangedAtMs: T0 };
}

function migration(nodeId: string): MigrationRecord {
  return {
    migrationId: 'mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e',
    type: 'node_addition', nodeId, tenantId: null, oldRf: null, newRf: null, status: 'completed', phase: 'done',
    force: false, rfGroups: null, maxRf: null, keysMigrated: 0, totalKeys: 0, driverGeneration: 0, errorMessage: null,
    cleanup: [], createdAtMs: T0, updatedAtMs: T0, deadlineAtMs: null, startedAtMs: T0, completedAtMs: T0,
    cleanupAfterMs: null, cleanedUpAtMs: null,
    tasks: [{ taskId: 1, kind: 'stream', sourceNodeId: 's1', targetNodeId: nodeId, ranges: [['1', '18446744073709551615']], tenantIds: null,
      state: 'completed', attempts: 1, keysTotal: 0, keysStreamed: 0, bytesStreamed: 0, checkpointTenant: null, checkpointKey: null, updatedAtMs: T0 }],
  };
}

function repairRun(i: number, over: Partial<RepairRunRecord> = {}): RepairRunRecord {
  return {
    runId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    tenantId: null, nodeId: null, status: 'running', startedAtMs: T0 + i * 1000, finishedAtMs: null,
    rangesTotal: 10, rangesDone: 0, rangesSkipped: 0, keysRepaired: 0, errorMessage: null, ...over,
  };
}

describe('EmbeddedMetadataStore', () => {
  let dir: string;
  const stores: EmbeddedMetadataStore[] = [];
  const open = async (id = 'c1'): Promise<EmbeddedMetadataStore> => {
    const s = new EmbeddedMetadataStore({ dataDir: dir, coordinatorId: id, nowMs: () => T0 });
    await s.open();
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pairdb-meta-'));
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates metadata.json in the format of cluster.md §15 on first open', async () => {
    await open();
    const doc = JSON.parse(readFileSync(join(dir, 'metadata', 'metadata.json'), 'utf8'));
    expect(doc.format).toBe(1);
    expect(doc.schema_version).toBe(1);
    expect(doc.tenants).toEqual({});
    expect(doc.storage_nodes).toEqual({});
    expect(doc.topology.epoch).toBe(0);
    expect(doc.coordinator).toEqual({ id: 'c1', hlc_floor: 0 });
    expect(doc.migrations).toEqual({});
    expect(doc.repair_runs).toEqual({});
  });

  it('round-trips tenants, nodes, migrations, the epoch and the hlc floor across a reopen', async () => {
    const s = await open();
    await s.createTenant(tenant('acme'));
    await s.createTenant(tenant('globex', 2));
    expect(await s.updateTenant({ ...tenant('acme'), conflictResolution: 'siblings', version: 2 }, 1)).toBe(true);
    expect(await s.commitTopologyChange({ nodes: [node('s1', 50052), node('s2', 50053)], migrations: [migration('s2')] })).toBe(1);
    await s.setHlcFloor('c1', 1764000005001000);
    await s.close();
    stores.length = 0;

    const again = await open();
    expect(await again.getTenant('acme')).toEqual({ ...tenant('acme'), conflictResolution: 'siblings', version: 2 });
    expect(await again.getTenant('globex')).toEqual(tenant('globex', 2));
    expect((await again.listStorageNodes()).map((n) => n.nodeId)).toEqual(['s1', 's2']);
    expect(await again.getMigration('mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e')).toEqual(migration('s2'));
    expect((await again.getTopology()).epoch).toBe(1);
    expect(await again.getHlcFloor('c1')).toBe(1764000005001000);
    expect(await again.maxReplicationFactor()).toBe(3);
    expect(await again.countTenants()).toBe(2);
  });

  it('keeps the topology fence: raised durably, never lowered, without an epoch change', async () => {
    const s = await open();
    expect(await s.commitTopologyChange({ nodes: [node('s1', 50052)] })).toBe(1);
    await s.raiseFenceEpoch(5);
    await s.raiseFenceEpoch(3);
    expect(await s.getTopology()).toMatchObject({ epoch: 1, fenceEpoch: 5 });
    await s.close();
    stores.length = 0;
    const again = await open();
    expect(await again.getTopology()).toMatchObject({ epoch: 1, fenceEpoch: 5 });
    expect(JSON.parse(readFileSync(join(dir, 'metadata', 'metadata.json'), 'utf8')).topology.fence_epoch).toBe(5);
  });

  it('refuses a duplicate tenant with TENANT_EXISTS and a stale version update', async () => {
    const s = await open();
    await s.createTenant(tenant('acme'));
    await expect(s.createTenant(tenant('acme', 1))).rejects.toMatchObject({ code: 'TENANT_EXISTS' });
    expect(await s.updateTenant({ ...tenant('acme'), version: 2 }, 7)).toBe(false);
    await expect(s.updateTenant({ ...tenant('nope'), version: 2 }, 1)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    expect((await s.getTenant('acme'))!.version).toBe(1);
  });

  it('lists tenants in ascending order after an exclusive cursor', async () => {
    const s = await open();
    for (const id of ['d', 'a', 'c', 'b', 'e']) await s.createTenant(tenant(id));
    const p1 = await s.listTenants('', 2);
    expect(p1.items.map((t) => t.tenantId)).toEqual(['a', 'b']);
    expect(p1.more).toBe(true);
    const p2 = await s.listTenants('b', 3);
    expect(p2.items.map((t) => t.tenantId)).toEqual(['c', 'd', 'e']);
    expect(p2.more).toBe(false);
  });

  it('refuses a second store on the same data dir with DATA_DIR_LOCKED', async () => {
    await open();
    const second = new EmbeddedMetadataStore({ dataDir: dir, coordinatorId: 'c1' });
    await expect(second.open()).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
  });

  it('takes over the LOCK of a dead process', async () => {
    writeFileSync(join(dir, 'LOCK'), '999999999\n');
    const s = await open();
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await s.close();
    stores.length = 0;
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  it('reports a damaged file as CORRUPT_FILE and releases the lock', async () => {
    const s = await open();
    await s.close();
    stores.length = 0;
    const file = join(dir, 'metadata', 'metadata.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.tenants = { acme: { ...doc.tenants, tenant_id: 'acme', replication_factor: 11 } };
    writeFileSync(file, JSON.stringify(doc));
    const broken = new EmbeddedMetadataStore({ dataDir: dir, coordinatorId: 'c1' });
    await expect(broken.open()).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
    writeFileSync(file, '{"format": 1,');
    await expect(broken.open()).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  });

  it('ignores a temp file left by a crash mid-write', async () => {
    const s = await open();
    await s.createTenant(tenant('acme'));
    await s.close();
    stores.length = 0;
    writeFileSync(join(dir, 'metadata', 'metadata.json.tmp'), '{"partial":');
    const again = await open();
    expect(await again.getTenant('acme')).toBeDefined();
  });

  it('never lowers the hlc floor', async () => {
    const s = await open();
    await s.setHlcFloor('c1', 5000);
    await s.setHlcFloor('c1', 4000);
    expect(await s.getHlcFloor('c1')).toBe(5000);
  });

  it('refuses a file that belongs to another coordinator id', async () => {
    const s = await open('c1');
    await s.close();
    stores.length = 0;
    const other = new EmbeddedMetadataStore({ dataDir: dir, coordinatorId: 'c2' });
    await expect(other.open()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  describe('repair_runs', () => {
    it('saves a run, updates it in place and reads it back after a reopen', async () => {
      const s = await open();
      await s.saveRepairRun(repairRun(1, { tenantId: 'acme' }));
      await s.saveRepairRun(repairRun(1, { tenantId: 'acme', status: 'completed', rangesDone: 10, keysRepaired: 42, finishedAtMs: T0 + 5000 }));
      await s.close();
      stores.splice(0);
      const doc = JSON.parse(readFileSync(join(dir, 'metadata', 'metadata.json'), 'utf8'));
      const run = doc.repair_runs['00000000-0000-4000-8000-000000000001'];
      expect(run).toMatchObject({ status: 'completed', tenant_id: 'acme', node_id: null, ranges_total: 10, ranges_done: 10, keys_repaired: 42 });
      expect(run.finished_at).toBe('2025-03-01T09:30:05.000Z');
      const again = await open();
      expect(await again.listRepairRuns(10)).toEqual([repairRun(1, { tenantId: 'acme', status: 'completed', rangesDone: 10, keysRepaired: 42, finishedAtMs: T0 + 5000 })]);
    });

    it('lists newest first, keeps only the newest runs, and reports the last complete run', async () => {
      const s = await open();
      expect(await s.lastRepairCompletedAtMs()).toBe(0);
      await s.saveRepairRun(repairRun(1, { status: 'completed', rangesDone: 10, finishedAtMs: T0 + 2000 }));
      // Newer, but ranges were skipped (a replica was down) or it failed: neither is a complete repair.
      await s.saveRepairRun(repairRun(2, { status: 'completed', rangesDone: 9, rangesSkipped: 1, finishedAtMs: T0 + 3000 }));
      await s.saveRepairRun(repairRun(3, { status: 'failed', errorMessage: 'boom', finishedAtMs: T0 + 4000 }));
      expect(await s.lastRepairCompletedAtMs()).toBe(T0 + 2000);
      expect((await s.listRepairRuns(2)).map((r) => r.runId.slice(-1))).toEqual(['3', '2']);
      for (let i = 4; i <= MAX_REPAIR_RUNS + 5; i++) await s.saveRepairRun(repairRun(i));
      const all = await s.listRepairRuns(1000);
      expect(all).toHaveLength(MAX_REPAIR_RUNS);
      expect(all[0]!.runId).toBe(repairRun(MAX_REPAIR_RUNS + 5).runId);
      expect(all.some((r) => r.runId === repairRun(1).runId)).toBe(false);
    });

    it('refuses a run that fails the schema checks with INVALID_REQUEST, and a damaged one on load with CORRUPT_FILE', async () => {
      const s = await open();
      await expect(s.saveRepairRun(repairRun(1, { runId: 'not-a-uuid' }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await expect(s.saveRepairRun(repairRun(1, { rangesDone: -1 }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
      await s.saveRepairRun(repairRun(1));
      await s.close();
      stores.splice(0);
      const file = join(dir, 'metadata', 'metadata.json');
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      doc.repair_runs[repairRun(1).runId].status = 'exploded';
      writeFileSync(file, JSON.stringify(doc));
      await expect(open()).rejects.toMatchObject({ code: 'CORRUPT_FILE' });
    });
  });
});
