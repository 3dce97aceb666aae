import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StorageNodeClient } from '../../src/core/cluster/node-registry.js';
import { PairdbError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import { CoordinatorClient, StorageClient } from '../../src/core/rpc/clients.js';
import { CLIENT_CHANNEL_OPTIONS, loadProtos } from '../../src/core/rpc/load-proto.js';
import { type CallOptions, callUnary } from '../../src/core/rpc/pipe.js';
import type * as pb from '../../src/core/rpc/types.js';
import { CoordinatorDaemon, type CoordinatorConfig } from '../../src/daemons/coordinator.js';
import { StorageDaemon } from '../../src/daemons/storage.js';

/**
 * A CoordinatorDaemon with three real StorageDaemons, all in-process on 127.0.0.1 port 0, real gRPC pipes and
 * real commit logs in temp dirs.
 */

const log = silentLogger();
const opts = (ms = 10_000): CallOptions => ({ requestId: 'test', deadlineMs: Date.now() + ms });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const clockObj = (c: pb.VectorClock__Output | null): Record<string, number> =>
  Object.fromEntries((c?.entries ?? []).map((e) => [e.actor, Number(e.counter)]));

interface Node {
  id: string;
  dir: string;
  port: number;
  daemon: StorageDaemon;
}

async function startStorage(id: string, dir: string, port = 0): Promise<StorageDaemon> {
  const d = new StorageDaemon({ nodeId: id, dataDir: dir, host: '127.0.0.1', port, adminPort: null, commitlogSync: 'batch' }, log);
  await d.start();
  return d;
}

/** A storage client whose writes wait for `release()` (to watch the coordinator answer before a slow replica). */
class GatedClient implements StorageNodeClient {
  readonly inner: StorageClient;
  gated = false;
  /** Reads never answer while set (a silent replica). */
  silentReads = false;
  #waiting: Array<() => void> = [];
  held = 0;
  constructor(address: string) {
    this.inner = new StorageClient(address);
  }
  write(req: pb.WriteRequest, o: CallOptions): Promise<pb.WriteResponse__Output> {
    if (!this.gated) return this.inner.write(req, o);
    this.held++;
    return new Promise<void>((r) => this.#waiting.push(r)).then(() => this.inner.write(req, { ...o, deadlineMs: Date.now() + 5000 }));
  }
  release(): void {
    this.gated = false;
    for (const w of this.#waiting.splice(0)) w();
  }
  /** Never sends the held writes (as if they were lost on the way). */
  drop(): void {
    this.gated = false;
    this.#waiting.splice(0);
  }
  read(req: pb.ReadRequest, o: CallOptions): Promise<pb.ReadResponse__Output> {
    if (this.silentReads) {
      return new Promise((_, reject) =>
        setTimeout(() => reject(new PairdbError('TIMEOUT', 'silent replica', { outcome: 'unknown' })), Math.max(0, o.deadlineMs - Date.now())),
      );
    }
    return this.inner.read(req, o);
  }
  health(o: CallOptions): Promise<pb.HealthResponse__Output> {
    return this.inner.health(o);
  }
  stats(o: CallOptions): Promise<pb.StatsResponse__Output> {
    return this.inner.stats(o);
  }
  // Migration traffic passes through ungated.
  startStreaming(req: pb.StartStreamingRequest, o: CallOptions): Promise<pb.StartStreamingResponse__Output> {
    return this.inner.startStreaming(req, o);
  }
  getStreamStatus(req: pb.GetStreamStatusRequest, o: CallOptions): Promise<pb.StreamStatus__Output> {
    return this.inner.getStreamStatus(req, o);
  }
  stopStreaming(req: pb.StopStreamingRequest, o: CallOptions): Promise<pb.StreamStatus__Output> {
    return this.inner.stopStreaming(req, o);
  }
  close(): void {
    this.inner.close();
  }
}

describe('CoordinatorDaemon with three StorageDaemons', () => {
  let root: string;
  const nodes: Node[] = [];
  let coord: CoordinatorDaemon;
  let client: CoordinatorClient;
  let unaryClient: grpc.Client;
  const gates = new Map<string, GatedClient>();
  let config: CoordinatorConfig;

  const startCoordinator = async (): Promise<void> => {
    coord = new CoordinatorDaemon(config, log);
    await coord.start();
    client = new CoordinatorClient(`127.0.0.1:${coord.grpcPort}`);
    const { pairdb } = loadProtos();
    unaryClient = new pairdb.pairdb.v1.CoordinatorService(`127.0.0.1:${coord.grpcPort}`, grpc.credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  };
  const stopCoordinator = async (): Promise<void> => {
    client.close();
    unaryClient.close();
    await coord.stop('test');
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pairdb-coord-'));
    for (const id of ['s1', 's2', 's3']) {
      const dir = join(root, id);
      const daemon = await startStorage(id, dir);
      nodes.push({ id, dir, port: daemon.grpcPort, daemon });
    }
    config = {
      nodeId: 'c1',
      dataDir: join(root, 'coordinator'),
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      replicaTimeoutMs: 2000,
      writeTimeoutMs: 5000,
      readTimeoutMs: 3000,
      readRepair: 'async',
      probeIntervalMs: 200,
      shutdownTimeoutMs: 5000,
      clientFactory: (address) => {
        const g = new GatedClient(address);
        gates.set(address, g);
        return g;
      },
    };
    await startCoordinator();
  });

  afterAll(async () => {
    await stopCoordinator();
    for (const n of nodes) await n.daemon.stop('test');
    rmSync(root, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const g of gates.values()) {
      g.release();
      g.silentReads = false;
    }
  });

  const gateOf = (i: number): GatedClient => gates.get(`127.0.0.1:${nodes[i]!.port}`)!;

  it('serves grpc health and is not ready on /readyz before a storage node joins', async () => {
    expect(await client.healthCheck(opts())).toBe('SERVING');
    const res = await fetch(`http://127.0.0.1:${coord.adminPort}/readyz`);
    expect(res.status).toBe(503);
    expect((await res.json()).status).toBe('not_ready');
  });

  it('adds empty storage nodes at once while no tenant exists (new-cluster shortcut)', async () => {
    for (const n of nodes) {
      const res = await client.addStorageNode({ node_id: n.id, host: '127.0.0.1', port: n.port, virtual_nodes: 0 }, opts());
      expect(res.node_id).toBe(n.id);
      expect(res.migration_id).toMatch(/^mig-[0-9a-f-]{36}$/);
      const m = await client.getMigrationStatus({ migration_id: res.migration_id }, opts());
      expect(m.type).toBe('NODE_ADDITION');
      expect(m.status).toBe('MIGRATION_COMPLETED');
      expect(m.progress?.percentage).toBe(100);
    }
    const list = await client.listStorageNodes({}, opts());
    expect(list.nodes.map((n) => [n.node_id, n.status, n.virtual_nodes, n.stats_known])).toEqual([
      ['s1', 'normal', 150, true],
      ['s2', 'normal', 150, true],
      ['s3', 'normal', 150, true],
    ]);
    expect((await fetch(`http://127.0.0.1:${coord.adminPort}/readyz`)).status).toBe(200);
  });

  it('refuses a taken node id or address with NODE_EXISTS and an unreachable node with INVALID_REQUEST', async () => {
    await expect(client.addStorageNode({ node_id: 's1', host: '127.0.0.1', port: 1, virtual_nodes: 0 }, opts())).rejects.toMatchObject({ code: 'NODE_EXISTS' });
    await expect(client.addStorageNode({ node_id: 's9', host: '127.0.0.1', port: nodes[0]!.port, virtual_nodes: 0 }, opts())).rejects.toMatchObject({ code: 'NODE_EXISTS' });
    await expect(client.addStorageNode({ node_id: 's9', host: '127.0.0.1', port: 1, virtual_nodes: 0 }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.addStorageNode({ node_id: 'bad id', host: '127.0.0.1', port: 5, virtual_nodes: 0 }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.addStorageNode({ node_id: 's9', host: '127.0.0.1', port: 5, virtual_nodes: 2000 }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.getMigrationStatus({ migration_id: 'nope' }, opts())).rejects.toMatchObject({ code: 'MIGRATION_NOT_FOUND' });
    await expect(client.removeStorageNode({ node_id: 's42', force: false }, opts())).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
  });

  it('creates, reads, lists and updates tenants', async () => {
    const created = await client.createTenant({ tenant_id: 'acme', replication_factor: 0 }, opts());
    expect(created.tenant).toMatchObject({ tenant_id: 'acme', replication_factor: 3, conflict_resolution: 'CONFLICT_RESOLUTION_LWW', version: '1' });
    await client.createTenant({ tenant_id: 'sib', replication_factor: 3, conflict_resolution: 'CONFLICT_RESOLUTION_SIBLINGS' }, opts());
    await client.createTenant({ tenant_id: 'two', replication_factor: 2, write_rate_per_min: 600 }, opts());
    await expect(client.createTenant({ tenant_id: 'acme', replication_factor: 2 }, opts())).rejects.toMatchObject({ code: 'TENANT_EXISTS' });
    await expect(client.createTenant({ tenant_id: 'big', replication_factor: 4 }, opts())).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
    await expect(client.createTenant({ tenant_id: 'big', replication_factor: 11 }, opts())).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
    await expect(client.createTenant({ tenant_id: 'a:b', replication_factor: 1 }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });

    const got = await client.getTenant({ tenant_id: 'two' }, opts());
    expect(got.tenant).toMatchObject({ replication_factor: 2, write_rate_per_min: 600, read_rate_per_min: 0 });
    await expect(client.getTenant({ tenant_id: 'nobody' }, opts())).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });

    const page1 = await client.listTenants({ limit: 2, cursor: '' }, opts());
    expect(page1.tenants.map((t) => t.tenant_id)).toEqual(['acme', 'sib']);
    expect(page1.next_cursor).toBe('sib');
    const page2 = await client.listTenants({ limit: 2, cursor: page1.next_cursor }, opts());
    expect(page2.tenants.map((t) => t.tenant_id)).toEqual(['two']);
    expect(page2.next_cursor).toBe('');

    const updated = await client.updateTenant({ tenant_id: 'two', read_rate_per_min: 900 }, opts());
    expect(updated.tenant).toMatchObject({ write_rate_per_min: 600, read_rate_per_min: 900, version: '2' });
    const reset = await client.updateTenant({ tenant_id: 'two', write_rate_per_min: 0 }, opts());
    expect(reset.tenant).toMatchObject({ write_rate_per_min: 0, read_rate_per_min: 900, version: '3' });
    await expect(client.updateTenant({ tenant_id: 'two' }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.updateTenant({ tenant_id: 'nobody', read_rate_per_min: 1 }, opts())).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });

    const same = await client.updateReplicationFactor({ tenant_id: 'two', new_replication_factor: 2 }, opts());
    expect(same).toMatchObject({ old_replication_factor: 2, new_replication_factor: 2, migration_id: '' });
    await expect(client.updateReplicationFactor({ tenant_id: 'two', new_replication_factor: 5 }, opts())).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
    // A real change is a replication_change migration; the tenant has no data, so it completes quickly.
    const change = await client.updateReplicationFactor({ tenant_id: 'two', new_replication_factor: 3 }, opts());
    expect(change).toMatchObject({ old_replication_factor: 2, new_replication_factor: 3 });
    expect(change.migration_id).toMatch(/^mig-/);
    for (let i = 0; ; i++) {
      const m = await client.getMigrationStatus({ migration_id: change.migration_id }, opts());
      if (m.status === 'MIGRATION_COMPLETED') break;
      expect(m.status, m.error_message).not.toBe('MIGRATION_FAILED');
      expect(i).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await client.getTenant({ tenant_id: 'two' }, opts())).tenant?.replication_factor).toBe(3);
  });

  it('refuses to add a node that does not answer its health check', async () => {
    await expect(client.addStorageNode({ node_id: 's4', host: '127.0.0.1', port: 6, virtual_nodes: 0 }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('puts, gets and deletes over the pipe', async () => {
    const put = await client.write({ tenant_id: 'acme', key: 'user:42', value: json({ name: 'Ada' }), consistency: 'CONSISTENCY_QUORUM' }, opts());
    expect(put.key).toBe('user:42');
    expect(put.consistency).toBe('CONSISTENCY_QUORUM');
    expect(put.replica_count).toBeGreaterThanOrEqual(2);
    expect(put.is_duplicate).toBe(false);
    expect(put.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(clockObj(put.vector_clock))).toEqual(['c1']);

    const got = await client.read({ tenant_id: 'acme', key: 'user:42', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(JSON.parse(got.value.toString())).toEqual({ name: 'Ada' });
    expect(clockObj(got.vector_clock)).toEqual(clockObj(put.vector_clock));
    expect(got.replica_count).toBe(3);
    expect(got.siblings).toEqual([]);
    expect(Number(got.timestamp_ms)).toBe(Math.floor(clockObj(put.vector_clock).c1! / 1000));

    const del = await client.delete({ tenant_id: 'acme', key: 'user:42', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(del.replica_count).toBe(3);
    expect(clockObj(del.vector_clock).c1!).toBeGreaterThan(clockObj(put.vector_clock).c1!);
    await expect(client.read({ tenant_id: 'acme', key: 'user:42', consistency: 'CONSISTENCY_QUORUM' }, opts())).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(client.delete({ tenant_id: 'acme', key: 'user:42' }, opts())).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('serves the same operations over the unary RPCs', async () => {
    const put = await callUnary<pb.WriteKeyValueRequest, pb.WriteKeyValueResponse__Output>(
      unaryClient,
      'WriteKeyValue',
      { tenant_id: 'acme', key: 'unary', value: json(1), consistency: 'CONSISTENCY_ALL' },
      opts(),
    );
    expect(put.replica_count).toBe(3);
    const got = await callUnary<pb.ReadKeyValueRequest, pb.ReadKeyValueResponse__Output>(unaryClient, 'ReadKeyValue', { tenant_id: 'acme', key: 'unary' }, opts());
    expect(got.value.toString()).toBe('1');
    await callUnary(unaryClient, 'DeleteKeyValue', { tenant_id: 'acme', key: 'unary' }, opts());
    await expect(callUnary(unaryClient, 'ReadKeyValue', { tenant_id: 'acme', key: 'unary' }, opts())).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(callUnary(unaryClient, 'WriteKeyValue', { tenant_id: 'nobody', key: 'k', value: json(1) }, opts())).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
  });

  it('answers TENANT_NOT_FOUND, INVALID_REQUEST and PAYLOAD_TOO_LARGE before touching a replica', async () => {
    await expect(client.write({ tenant_id: 'nobody', key: 'k', value: json(1) }, opts())).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    await expect(client.read({ tenant_id: 'nobody', key: 'k' }, opts())).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
    await expect(client.write({ tenant_id: 'acme', key: 'a\u0001b', value: json(1) }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.write({ tenant_id: 'acme', key: '', value: json(1) }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.write({ tenant_id: 'acme', key: 'k'.repeat(1025), value: json(1) }, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.write({ tenant_id: 'acme', key: 'big', value: Buffer.alloc(1024 * 1024 + 1, 0x31) }, opts())).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const farFuture = (Date.now() + 7_200_000) * 1000;
    await expect(
      client.write({ tenant_id: 'acme', key: 'k', value: json(1), context: { entries: [{ actor: 'c9', counter: farFuture }] } }, opts()),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('supersedes the clocks it reads when a write has no context, so the later write wins even in siblings mode', async () => {
    const a = await client.write({ tenant_id: 'sib', key: 'cart', value: json(['a']) }, opts());
    const b = await client.write({ tenant_id: 'sib', key: 'cart', value: json(['b']) }, opts());
    expect(clockObj(b.vector_clock).c1!).toBeGreaterThan(clockObj(a.vector_clock).c1!);
    const got = await client.read({ tenant_id: 'sib', key: 'cart', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(JSON.parse(got.value.toString())).toEqual(['b']);
    expect(got.siblings).toEqual([]);
  });

  it('keeps concurrent writes as siblings in siblings mode and resolves them with the merged context', async () => {
    await client.write({ tenant_id: 'sib', key: 'conc', value: json('x') }, opts());
    await client.write({ tenant_id: 'sib', key: 'conc', value: json('y'), context: { entries: [] } }, opts());
    const got = await client.read({ tenant_id: 'sib', key: 'conc', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(got.siblings.map((s) => s.value.toString()).sort()).toEqual(['"x"', '"y"']);
    // Greatest LWW rank first: y was made later by the same coordinator.
    expect(got.value.toString()).toBe('"y"');
    expect(got.siblings[0]!.value.toString()).toBe('"y"');
    await client.write({ tenant_id: 'sib', key: 'conc', value: json('xy'), context: got.vector_clock }, opts());
    const resolved = await client.read({ tenant_id: 'sib', key: 'conc', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(resolved.value.toString()).toBe('"xy"');
    expect(resolved.siblings).toEqual([]);
  });

  it('drops the LWW-smaller of two concurrent writes in lww mode', async () => {
    await client.write({ tenant_id: 'acme', key: 'race', value: json('first'), context: { entries: [] } }, opts());
    await client.write({ tenant_id: 'acme', key: 'race', value: json('second'), context: { entries: [] } }, opts());
    const got = await client.read({ tenant_id: 'acme', key: 'race', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(got.value.toString()).toBe('"second"');
    expect(got.siblings).toEqual([]);
    const s1 = new StorageClient(`127.0.0.1:${nodes[0]!.port}`);
    try {
      const rec = await s1.readUnary({ tenant_id: 'acme', key: 'race' }, opts());
      expect(rec.record?.versions.map((v) => v.value.toString())).toEqual(['"second"']);
    } finally {
      s1.close();
    }
  });

  it('replays a completed write for the same idempotency key and refuses another body with IDEMPOTENCY_KEY_CONFLICT', async () => {
    const req = { tenant_id: 'acme', key: 'idem', value: json(7), idempotency_key: 'order-7781' };
    const first = await client.write(req, opts());
    const again = await client.write(req, opts());
    expect(first.is_duplicate).toBe(false);
    expect(again.is_duplicate).toBe(true);
    expect(clockObj(again.vector_clock)).toEqual(clockObj(first.vector_clock));
    expect(again.idempotency_key).toBe('order-7781');
    await expect(client.write({ ...req, value: json(8) }, opts())).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_CONFLICT' });
    const got = await client.read({ tenant_id: 'acme', key: 'idem', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(got.value.toString()).toBe('7');
  });

  it('answers a quorum write once two replicas acked, while the third is still held back (early return)', async () => {
    const slow = gateOf(2);
    slow.gated = true;
    const res = await client.write({ tenant_id: 'acme', key: 'early', value: json('e'), context: { entries: [] } }, opts());
    expect(res.replica_count).toBe(2);
    expect(slow.held).toBe(1);
    // The held write continues in the background once released and reaches the third replica.
    slow.release();
    const s3 = new StorageClient(`127.0.0.1:${nodes[2]!.port}`);
    try {
      let found = false;
      for (let i = 0; i < 100 && !found; i++) {
        found = (await s3.readUnary({ tenant_id: 'acme', key: 'early' }, opts())).found;
        if (!found) await new Promise((r) => setTimeout(r, 20));
      }
      expect(found).toBe(true);
    } finally {
      s3.close();
    }
  });

  it('repairs a replica that missed a write when a read sees it differ', async () => {
    const s2 = gateOf(1);
    s2.gated = true;
    await client.write({ tenant_id: 'acme', key: 'repair-me', value: json('r'), context: { entries: [] } }, opts());
    s2.drop(); // s2 never gets the version
    const direct = new StorageClient(`127.0.0.1:${nodes[1]!.port}`);
    try {
      expect((await direct.readUnary({ tenant_id: 'acme', key: 'repair-me' }, opts())).found).toBe(false);
      const got = await client.read({ tenant_id: 'acme', key: 'repair-me', consistency: 'CONSISTENCY_ALL' }, opts());
      expect(got.value.toString()).toBe('"r"');
      let found = false;
      for (let i = 0; i < 100 && !found; i++) {
        found = (await direct.readUnary({ tenant_id: 'acme', key: 'repair-me' }, opts())).found;
        if (!found) await new Promise((r) => setTimeout(r, 20));
      }
      expect(found).toBe(true);
    } finally {
      direct.close();
    }
  });

  it('adds another replica when the ones asked stay silent for 200 ms (read hedging)', async () => {
    await client.write({ tenant_id: 'acme', key: 'hedge', value: json('h'), consistency: 'CONSISTENCY_ALL' }, opts());
    // Two of three replicas never answer reads. Without hedging, a read at `one` that asks a silent replica
    // first waits for its 2 s replica timeout, then the second silent one runs out the 3 s read budget.
    gateOf(0).silentReads = true;
    gateOf(1).silentReads = true;
    for (let i = 0; i < 4; i++) {
      const got = await client.read({ tenant_id: 'acme', key: 'hedge', consistency: 'CONSISTENCY_ONE' }, opts());
      expect(got.value.toString()).toBe('"h"');
      expect(got.replica_count).toBe(1);
    }
  });

  it('with one of three nodes stopped: quorum works, all fails with QUORUM_NOT_REACHED, the node is reported down, then comes back', async () => {
    const victim = nodes[2]!;
    await victim.daemon.stop('test');
    await client.write({ tenant_id: 'acme', key: 'dead-0', value: json(0), consistency: 'CONSISTENCY_QUORUM' }, opts());
    for (let i = 1; i < 5; i++) {
      const w = await client.write({ tenant_id: 'acme', key: `dead-${i}`, value: json(i), consistency: 'CONSISTENCY_QUORUM' }, opts());
      expect(w.replica_count).toBe(2);
      const r = await client.read({ tenant_id: 'acme', key: `dead-${i}`, consistency: 'CONSISTENCY_QUORUM' }, opts());
      expect(r.value.toString()).toBe(String(i));
    }
    await expect(client.write({ tenant_id: 'acme', key: 'dead-all', value: json(1), consistency: 'CONSISTENCY_ALL' }, opts())).rejects.toMatchObject({
      code: 'QUORUM_NOT_REACHED',
      // The circuit to the dead node is open by now: nothing was sent.
      outcome: 'not_applied',
    });
    await expect(client.read({ tenant_id: 'acme', key: 'dead-1', consistency: 'CONSISTENCY_ALL' }, opts())).rejects.toMatchObject({ code: 'QUORUM_NOT_REACHED' });
    const list = await client.listStorageNodes({}, opts());
    expect(list.nodes.find((n) => n.node_id === victim.id)).toMatchObject({ status: 'down', liveness: 'LIVENESS_DOWN', stats_known: false });
    const status = await client.clusterStatus(opts());
    expect(status.warnings.some((w) => w.includes(victim.id))).toBe(true);

    victim.daemon = await startStorage(victim.id, victim.dir, victim.port);
    let back: pb.ReadKeyValueResponse__Output | undefined;
    for (let i = 0; i < 100 && !back; i++) {
      back = await client.read({ tenant_id: 'acme', key: 'dead-1', consistency: 'CONSISTENCY_ALL' }, opts()).catch(() => undefined);
      if (!back) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back?.value.toString()).toBe('1');
    expect((await client.listStorageNodes({}, opts())).nodes.find((n) => n.node_id === victim.id)?.status).toBe('normal');
  });

  it('reports the cluster in ClusterStatus', async () => {
    const s = await client.clusterStatus(opts());
    expect(s.metadata_backend).toBe('embedded');
    expect(s.tenant_count).toBe(3);
    expect(s.max_replication_factor).toBe(3);
    expect(s.nodes).toHaveLength(3);
    expect(s.coordinators.map((c) => c.coordinator_id)).toEqual(['c1']);
    // Three node additions, then the RF change's migration (queued, started, one commit per phase).
    expect(Number(s.topology_epoch)).toBeGreaterThan(3);
    expect(s.active_migration).toBeNull();
    const metrics = await (await fetch(`http://127.0.0.1:${coord.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/pairdb_coordinator_ops_total\{op="write",consistency="quorum",result="ok"\} \d+/);
    expect(metrics).toMatch(/pairdb_coordinator_ops_total\{op="read",consistency="all",result="quorum_failed"\} \d+/);
    expect(metrics).toContain('pairdb_coordinator_read_repairs_total{result="sent"}');
    expect(metrics).toContain('pairdb_ready 1');
  });

  it('keeps tenants and nodes across a restart, and its clock continues above the persisted floor', async () => {
    const before = await client.write({ tenant_id: 'acme', key: 'restart', value: json('a'), context: { entries: [] } }, opts());
    const retried = { tenant_id: 'acme', key: 'restart-idem', value: json('once'), idempotency_key: 'retry-after-restart' };
    const original = await client.write(retried, opts());
    await stopCoordinator();
    await startCoordinator();
    // The in-process idempotency record is gone; the read step finds the write id on the replicas instead.
    const replay = await client.write(retried, opts());
    expect(replay.is_duplicate).toBe(true);
    expect(clockObj(replay.vector_clock)).toEqual(clockObj(original.vector_clock));
    expect((await client.getTenant({ tenant_id: 'acme' }, opts())).tenant?.replication_factor).toBe(3);
    expect((await client.listStorageNodes({}, opts())).nodes).toHaveLength(3);
    const after = await client.write({ tenant_id: 'acme', key: 'restart-2', value: json('b'), context: { entries: [] } }, opts());
    expect(clockObj(after.vector_clock).c1!).toBeGreaterThan(clockObj(before.vector_clock).c1!);
    const got = await client.read({ tenant_id: 'acme', key: 'restart', consistency: 'CONSISTENCY_ALL' }, opts());
    expect(got.value.toString()).toBe('"a"');
  });

  it('refuses a second coordinator on the same data dir with DATA_DIR_LOCKED', async () => {
    const second = new CoordinatorDaemon({ ...config, clientFactory: undefined }, log);
    await expect(second.start()).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
    await second.stop('test');
  });

  it('drains a running request on stop, refuses new ones with SERVICE_UNAVAILABLE, and stops cleanly with pipes open', async () => {
    const slow = gateOf(0);
    slow.gated = true;
    const running = client.write({ tenant_id: 'acme', key: 'drain', value: json('d'), consistency: 'CONSISTENCY_ALL', context: { entries: [] } }, opts());
    while (slow.held === 0) await new Promise((r) => setTimeout(r, 5));
    const stopping = coord.stop('test');
    await expect(client.read({ tenant_id: 'acme', key: 'drain' }, opts())).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    slow.release();
    expect((await running).replica_count).toBe(3);
    expect(await stopping).toBe(true);
    expect(coord.serving).toBe(false);
  });
});
