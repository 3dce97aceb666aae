import { describe, expect, it } from 'vitest';
import { DataPath, type RepairJob } from '../../../src/core/cluster/data-path.js';
import { Hlc } from '../../../src/core/cluster/hlc.js';
import { InProcessIdempotency } from '../../../src/core/cluster/idempotency.js';
import { NodeRegistry, type StorageNodeClient } from '../../../src/core/cluster/node-registry.js';
import { ReadRepairQueue } from '../../../src/core/cluster/read-repair.js';
import { checkFence, requestEpochFromWire } from '../../../src/core/cluster/topology-fence.js';
import type { StorageNodeRecord, TenantRecord } from '../../../src/core/metadata/metadata-store.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import type * as pb from '../../../src/core/rpc/types.js';

/**
 * The coordinator's answer to STALE_TOPOLOGY (cluster.md §4): reload the topology and retry once; a second rejection
 * is SERVICE_UNAVAILABLE. Fake replicas apply the real fence check to the epoch each request carries.
 */

interface Replica {
  fence: bigint;
  writes: pb.WriteRequest[];
  reads: pb.ReadRequest[];
  stored: pb.Version[];
}

function fakeReplica(r: Replica): StorageNodeClient {
  return {
    write: async (req) => {
      r.writes.push(req);
      checkFence(req.purpose === 'PURPOSE_CLIENT', requestEpochFromWire(req.topology_epoch), r.fence);
      r.stored.push(...(req.record!.versions as pb.Version[]));
      return { outcome: 'OUTCOME_APPLIED', current_clock: req.record!.versions![0]!.clock as never, version_count: 1 };
    },
    read: async (req) => {
      r.reads.push(req);
      checkFence(true, requestEpochFromWire(req.topology_epoch), r.fence);
      return { record: { tenant_id: req.tenant_id!, key: req.key!, versions: r.stored as never, recent_writes: [] }, found: r.stored.length > 0 };
    },
    health: async () => ({}) as never,
    stats: async () => ({}) as never,
    close: () => undefined,
  };
}

const TENANT: TenantRecord = {
  tenantId: 'acme',
  replicationFactor: 3,
  conflictResolution: 'lww',
  writeRatePerMin: null,
  readRatePerMin: null,
  createdAtMs: 0,
  updatedAtMs: 0,
  version: 1,
};

function setup(fence: bigint | readonly bigint[], epochAfterReload: number) {
  const replicas = new Map<string, Replica>();
  const registry = new NodeRegistry({
    logger: silentLogger(),
    clientFactory: (address) => {
      const r: Replica = { fence: typeof fence === 'bigint' ? fence : fence[replicas.size]!, writes: [], reads: [], stored: [] };
      replicas.set(address, r);
      return fakeReplica(r);
    },
  });
  const records: StorageNodeRecord[] = ['s1', 's2', 's3'].map((nodeId, i) => ({
    nodeId,
    host: '127.0.0.1',
    port: 7001 + i,
    virtualNodes: 8,
    state: 'normal',
    createdAtMs: 0,
    updatedAtMs: 0,
    stateChangedAtMs: 0,
  }));
  registry.update(records);
  let epoch = 3;
  let reloads = 0;
  let dp: DataPath | undefined;
  const repairs = new ReadRepairQueue<RepairJob>({ capacity: 10, workers: 1, send: (job) => dp!.sendRepair(job) });
  dp = new DataPath({
    config: { nodeId: 'c1', replicaTimeoutMs: 2000, writeTimeoutMs: 5000, readTimeoutMs: 3000, readRepair: 'off' },
    registry,
    tenant: () => TENANT,
    hlc: new Hlc({ nowMs: Date.now }),
    idempotency: new InProcessIdempotency<object>(),
    repairs,
    epoch: () => epoch,
    reloadTopology: async () => {
      reloads++;
      epoch = epochAfterReload;
    },
    logger: silentLogger(),
  });
  return { dp, replicas: [...replicas.values()], reloads: () => reloads, epoch: () => epoch };
}

const ctx = () => ({ requestId: 'r1', deadlineMs: Date.now() + 5000 });
const put = (key: string): pb.WriteKeyValueRequest__Output =>
  ({ tenant_id: 'acme', key, value: Buffer.from('"v"'), consistency: 'CONSISTENCY_QUORUM', idempotency_key: 'idem-1', context: null }) as never;

describe('DataPath and the topology fence', () => {
  it('a write whose replicas fence its epoch reloads the topology and succeeds on the one retry, with the new epoch', async () => {
    const { dp, replicas, reloads } = setup(5n, 5);
    const res = await dp.write(put('k1'), ctx());
    expect(reloads()).toBe(1);
    expect(res.replica_count).toBeGreaterThanOrEqual(2);
    expect(res.is_duplicate).toBe(false);
    const clientWrites = replicas.flatMap((r) => r.writes.filter((w) => w.purpose === 'PURPOSE_CLIENT'));
    // Every accepted client write carries the reloaded epoch; the rejected first attempt carried the old one.
    expect(new Set(replicas.flatMap((r) => r.reads.map((q) => String(q.topology_epoch))))).toEqual(new Set(['3', '5']));
    expect(clientWrites.every((w) => String(w.topology_epoch) === '5')).toBe(true);
    expect(replicas.reduce((n, r) => n + r.stored.length, 0)).toBe(clientWrites.length);
  });

  it('a write with a context (no read step) is fenced in the fan-out and retried the same way', async () => {
    const { dp, replicas, reloads } = setup(5n, 5);
    const req = { ...put('k5'), idempotency_key: 'idem-5', context: { entries: [] } } as never;
    const res = await dp.write(req, ctx());
    expect(reloads()).toBe(1);
    expect(res.replica_count).toBeGreaterThanOrEqual(2);
    expect(replicas.every((r) => r.reads.length === 0)).toBe(true);
    const epochs = replicas.flatMap((r) => r.writes.map((w) => String(w.topology_epoch)));
    expect(epochs.filter((e) => e === '3')).toHaveLength(3);
    expect(epochs.filter((e) => e === '5').length).toBeGreaterThanOrEqual(2);
    // Both attempts carry the same write_id, so a replica that took the first one sees the retry as a duplicate.
    const ids = new Set(replicas.flatMap((r) => r.writes.map((w) => Buffer.from(w.record!.versions![0]!.write_id as Buffer).toString('hex'))));
    expect(ids.size).toBe(1);
  });

  it('a read does the same', async () => {
    const { dp, reloads } = setup(5n, 5);
    await expect(dp.read({ tenant_id: 'acme', key: 'k2', consistency: 'CONSISTENCY_QUORUM' } as never, ctx())).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    expect(reloads()).toBe(1);
  });

  it('when the reload does not bring the coordinator up to the fence, the request fails SERVICE_UNAVAILABLE after one retry', async () => {
    const { dp, replicas, reloads } = setup(9n, 5);
    const err = await dp.write(put('k3'), ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', outcome: 'not_applied' });
    // A reload per attempt at most (the retry's stale replies start another in the background); never a third attempt.
    const afterWrite = reloads();
    expect(afterWrite).toBeGreaterThanOrEqual(1);
    expect(afterWrite).toBeLessThanOrEqual(2);
    // One read round per attempt (3 replicas at quorum = 2 or 3 reads each), never a third attempt.
    const reads = replicas.reduce((n, r) => n + r.reads.length, 0);
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(reads).toBeLessThanOrEqual(6);
    const err2 = await dp.read({ tenant_id: 'acme', key: 'k3', consistency: 'CONSISTENCY_ONE' } as never, ctx()).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(reloads()).toBeGreaterThan(afterWrite);
  });

  it('one fenced replica does not fail a quorum request, but the topology is reloaded in the background', async () => {
    const { dp, replicas, reloads, epoch } = setup([5n, 0n, 0n], 5);
    // A QUORUM write under the stale epoch succeeds on the two unfenced replicas; the fenced reply alone reloads.
    const quorum = await dp.write({ ...put('k7'), idempotency_key: 'idem-7', context: { entries: [] } } as never, ctx());
    expect(quorum.replica_count).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(reloads()).toBe(1);
    expect(epoch()).toBe(5);
    // The next request carries the new epoch and the fenced replica takes it.
    const next = await dp.write({ ...put('k8'), idempotency_key: 'idem-8', consistency: 'CONSISTENCY_ALL', context: { entries: [] } } as never, ctx());
    expect(next.replica_count).toBe(3);
    expect(reloads()).toBe(1);
    expect(String(replicas[0]!.writes.at(-1)!.topology_epoch)).toBe('5');
  });

  it('no fence, no reload', async () => {
    const { dp, reloads } = setup(0n, 99);
    await dp.write(put('k4'), ctx());
    expect(reloads()).toBe(0);
  });
});
