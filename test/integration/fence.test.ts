import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, freePort, spawnDaemon, type DaemonProcess } from '../../src/bench/local-cluster.js';
import { StaleTopologyError } from '../../src/core/cluster/topology-fence.js';
import { EXIT } from '../../src/core/exit-codes.js';
import { versionToWire } from '../../src/core/model/version-wire.js';
import { CoordinatorClient, StorageClient } from '../../src/core/rpc/clients.js';
import type * as pb from '../../src/core/rpc/types.js';
import { ver } from '../core/engine/helpers.js';
import { gatewayCall } from './cluster-harness.js';

/**
 * The topology fence (cluster.md §4, §16 invariant 14) and the stale-node rule (§2) on real processes: a migration's
 * barriers push the fence to every node, nodes persist and enforce it (surviving SIGKILL), hint/repair traffic is not
 * fenced, and a node down longer than gc_grace is flagged by ClusterStatus and refuses to rejoin.
 */

const opts = (ms = 10_000) => ({ requestId: '', deadlineMs: Date.now() + ms });
const GC_GRACE_S = 8;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms (${String(last ?? '')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function clientWrite(key: string, epoch: bigint | number, purpose: pb.WriteRequest['purpose'] = 'PURPOSE_CLIENT'): pb.WriteRequest {
  const v = ver({ ht: Date.now() * 1000, writeId: `w-${key}-${String(purpose)}-${epoch}` });
  return { record: { tenant_id: 'fence', key, versions: [versionToWire(v)], recent_writes: [] }, purpose, topology_epoch: String(epoch) };
}

describe('topology fence on a real cluster', () => {
  let dataDir = '';
  let cluster: LocalCluster;
  let coord: CoordinatorClient;
  const storage: StorageClient[] = [];
  let epoch = 0n;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pairdb-fence-'));
    cluster = new LocalCluster({ dataDir, nodes: 3, storageArgs: ['--gc-grace', `${GC_GRACE_S}s`, '--hint-window', '1s'] });
    await cluster.start();
    coord = new CoordinatorClient(cluster.coordinatorAddress);
    for (const n of cluster.storage) storage.push(new StorageClient(`127.0.0.1:${n.port}`));
  }, 90_000);

  afterAll(async () => {
    coord?.close();
    for (const s of storage) s.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an RF change runs through the driver and every node ends with fence_epoch = the new topology epoch', async () => {
    const created = await gatewayCall(cluster.gatewayUrl, 'POST', '/v1/tenants', { tenant_id: 'fence', replication_factor: 2 });
    expect(created.status).toBe(201);
    const put = await gatewayCall(cluster.gatewayUrl, 'POST', '/v1/key-value', { tenant_id: 'fence', key: 'before', value: 1 });
    expect(put.status).toBe(200);
    const before = BigInt((await coord.clusterStatus(opts())).topology_epoch);
    for (const s of storage) expect(BigInt((await s.health(opts())).fence_epoch)).toBeLessThan(before + 1n);

    const change = await coord.updateReplicationFactor({ tenant_id: 'fence', new_replication_factor: 3 }, opts());
    expect(change.migration_id).not.toBe('');
    await until('migration completed', 120_000, async () => {
      const m = await coord.getMigrationStatus({ migration_id: change.migration_id }, opts());
      if (m.status === 'MIGRATION_FAILED' || m.status === 'MIGRATION_CANCELLED') throw new Error(`migration ${m.status}: ${m.error_message}`);
      return m.status === 'MIGRATION_COMPLETED' ? m : undefined;
    });
    epoch = BigInt((await coord.clusterStatus(opts())).topology_epoch);
    expect(epoch).toBeGreaterThan(before);
    // Barrier(E) pushed the fence before the driver went on, so the last commit's epoch is on every node already.
    for (const s of storage) expect(BigInt((await s.health(opts())).fence_epoch)).toBe(epoch);
    // The coordinator keeps the fence in its topology record (cluster.md §15 topology.fence_epoch).
    const meta = JSON.parse(readFileSync(join(dataDir, 'coordinator', 'metadata', 'metadata.json'), 'utf8'));
    expect(BigInt(meta.topology.fence_epoch)).toBe(epoch);
    // The coordinator routes with the current epoch: client traffic is not fenced.
    const put2 = await gatewayCall(cluster.gatewayUrl, 'POST', '/v1/key-value', { tenant_id: 'fence', key: 'after', value: 2 });
    expect(put2.status).toBe(200);
    const get = await gatewayCall(cluster.gatewayUrl, 'GET', '/v1/key-value?tenant_id=fence&key=before&consistency=all');
    expect(get.status).toBe(200);
  }, 180_000);

  it('a CLIENT Write or Read with a lower nonzero epoch gets STALE_TOPOLOGY and the fence; REPAIR, HINT and epoch 0 apply', async () => {
    const s = storage[0]!;
    const stale = epoch - 1n;
    // Unary: FAILED_PRECONDITION with the pairdb-fence-epoch trailer.
    const unary = await s.writeUnary(clientWrite('k-unary', stale), opts()).catch((e: unknown) => e);
    expect(unary).toBeInstanceOf(StaleTopologyError);
    expect(unary).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: epoch, outcome: 'not_applied' });
    // Pipe entries: the PipeError carries the code and the fence in its message.
    const piped = await s.write(clientWrite('k-pipe', stale), opts()).catch((e: unknown) => e);
    expect(piped).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: epoch });
    const read = await s.read({ tenant_id: 'fence', key: 'k-unary', topology_epoch: String(stale) }, opts()).catch((e: unknown) => e);
    expect(read).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: epoch });
    const readUnary = await s.readUnary({ tenant_id: 'fence', key: 'k-unary', topology_epoch: String(stale) }, opts()).catch((e: unknown) => e);
    expect(readUnary).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: epoch });
    // Nothing of the rejected writes was stored.
    const none = await s.read({ tenant_id: 'fence', key: 'k-pipe', topology_epoch: String(epoch) }, opts());
    expect(none.found).toBe(false);

    // Repair and hints are never fenced, whatever epoch they carry.
    expect((await s.write(clientWrite('k-repair', stale, 'PURPOSE_REPAIR'), opts())).outcome).toBe('OUTCOME_APPLIED');
    expect((await s.write(clientWrite('k-hint', 1, 'PURPOSE_HINT'), opts())).outcome).toBe('OUTCOME_APPLIED');
    // Epoch 0 is a tool that knows no topology (docs/DECISIONS.md): it passes. The current epoch passes too.
    expect((await s.write(clientWrite('k-tool', 0), opts())).outcome).toBe('OUTCOME_APPLIED');
    expect((await s.write(clientWrite('k-current', epoch), opts())).outcome).toBe('OUTCOME_APPLIED');
    const got = await s.read({ tenant_id: 'fence', key: 'k-repair', topology_epoch: String(epoch) }, opts());
    expect(got.found).toBe(true);
  }, 60_000);

  it('the fence survives SIGKILL: after a restart Health reports it and stale client writes are still refused', async () => {
    await cluster.killStorage(0, 'SIGKILL');
    await cluster.restartStorage(0);
    storage[0]!.close();
    const s = new StorageClient(`127.0.0.1:${cluster.storage[0]!.port}`);
    storage[0] = s;
    expect(BigInt((await s.health(opts())).fence_epoch)).toBe(epoch);
    const err = await s.writeUnary(clientWrite('k-after-restart', epoch - 1n), opts()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STALE_TOPOLOGY', fenceEpoch: epoch });
    // The node learns nothing lower from gossip: the fence only grows.
    expect(BigInt((await s.health(opts())).fence_epoch)).toBe(epoch);
  }, 60_000);

  it('ClusterStatus warns about a node down longer than its gc_grace, and that node refuses to rejoin (exit 4)', async () => {
    const victim = cluster.storage[2]!;
    await cluster.killStorage(2, 'SIGKILL');
    const status = await until('stale-node warning', 90_000, async () => {
      const st = await coord.clusterStatus(opts());
      return st.warnings.some((w) => w.startsWith(`storage node ${victim.nodeId} has been down`)) ? st : undefined;
    });
    expect(status.warnings.find((w) => w.startsWith(`storage node ${victim.nodeId} has been down`))).toMatch(/longer than gc-grace \(8\.0s\)/);
    expect(status.warnings.some((w) => w.startsWith('storage node s1 has been down') || w.startsWith('storage node s2 has been down'))).toBe(false);

    // Its ALIVE record is older than gc_grace by now: a plain restart refuses.
    const refused = spawnDaemon(`storage-${victim.nodeId}-stale`, [...victim.proc.args], cluster.logDir);
    expect(await refused.exited).toBe(EXIT.CONFLICT);
  }, 150_000);
});

describe('stale-node rule on one storage process', () => {
  let dir = '';
  let proc: DaemonProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pairdb-stale-'));
  });

  afterAll(async () => {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function storageArgs(extra: string[] = []): Promise<{ args: string[]; adminPort: number }> {
    const adminPort = await freePort();
    const args = ['storage', '--node-id', 's1', '--data-dir', join(dir, 'data'), '--port', String(await freePort()), '--admin-port', String(adminPort)];
    return { args: [...args, '--gc-grace', '2s', '--hint-window', '1s', '--log-level', 'info', ...extra], adminPort };
  }

  async function ready(adminPort: number, p: DaemonProcess): Promise<void> {
    await until('storage ready', 30_000, async () => {
      if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}`);
      const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      await res.arrayBuffer();
      return res.ok ? true : undefined;
    });
  }

  it('a node whose last-alive is older than gc_grace refuses to start with exit 4; --allow-stale-rejoin starts it', async () => {
    const first = await storageArgs();
    proc = spawnDaemon('stale-first', first.args, join(dir, 'logs'));
    await ready(first.adminPort, proc);
    const recorded = Number(readFileSync(join(dir, 'data', 'ALIVE'), 'latin1'));
    expect(Math.abs(Date.now() - recorded)).toBeLessThan(10_000);
    proc.child.kill('SIGKILL');
    await proc.exited;

    // A quick restart is fine (well within gc_grace) …
    const quick = await storageArgs();
    proc = spawnDaemon('stale-quick', quick.args, join(dir, 'logs'));
    await ready(quick.adminPort, proc);
    proc.child.kill('SIGKILL');
    await proc.exited;
    const lastAlive = Number(readFileSync(join(dir, 'data', 'ALIVE'), 'latin1'));

    // … but once gc_grace (2 s) has passed since the last record, the node must not rejoin with its data.
    await until('gc_grace passed', 30_000, async () => (Date.now() - lastAlive > 2_500 ? true : undefined));
    const late = await storageArgs();
    proc = spawnDaemon('stale-late', late.args, join(dir, 'logs'));
    expect(await proc.exited).toBe(EXIT.CONFLICT);
    const log = readFileSync(join(dir, 'logs', 'stale-late.log'), 'utf8');
    expect(log).toMatch(/NODE_STALE/);
    expect(log).toMatch(/--allow-stale-rejoin/);

    const forced = await storageArgs(['--allow-stale-rejoin']);
    proc = spawnDaemon('stale-forced', forced.args, join(dir, 'logs'));
    await ready(forced.adminPort, proc);
    expect(readFileSync(join(dir, 'logs', 'stale-forced.log'), 'utf8')).toMatch(/allow-stale-rejoin/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 90_000);
});
