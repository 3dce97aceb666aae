import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StorageClient } from '../../src/core/rpc/clients.js';
import type * as pb from '../../src/core/rpc/types.js';
import type { StorageDaemon } from '../../src/daemons/storage.js';
import { storageDaemonHarness } from './storage-harness.js';

/**
 * The storage daemon's Gossip RPC and gossip rounds over real gRPC, in process with 100 ms rounds: the ring given to
 * one node spreads, everyone sees everyone, a stopped node is `left`, a silent member turns suspect then down,
 * observers change nothing, bad input is INVALID_ARGUMENT.
 */

/** Fast rounds, spec timeouts: nobody turns suspect because a loaded machine stalled a test for a second. */
const GOSSIP = { intervalMs: 100 };
/** Short timeouts, for the test that waits for them. */
const FAST_TIMEOUTS = { intervalMs: 100, suspectAfterMs: 500, downAfterMs: 1000 };
const opts = (ms = 2000) => ({ requestId: '', deadlineMs: Date.now() + ms });

function observe(ring: pb.RingMember[] = [], ringEpoch = '0', extra: Partial<pb.GossipRequest> = {}): pb.GossipRequest {
  return { sender_id: 'c1', observer: true, members: [], fence_epoch: '0', ring, ring_epoch: ringEpoch, ...extra };
}

async function statusOf(client: StorageClient, nodeId: string): Promise<string | undefined> {
  const res = await client.gossip(observe(), opts());
  return res.members.find((m) => m.node_id === nodeId)?.status;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('storage Gossip', () => {
  const h = storageDaemonHarness('pairdb-storage-gossip-');

  async function three(): Promise<Array<{ daemon: StorageDaemon; client: StorageClient }>> {
    const out = [];
    for (const id of ['s1', 's2', 's3']) out.push(await h.start({ nodeId: id, dataDir: join(h.dir, id), adminPort: 0, gossip: GOSSIP }));
    return out;
  }
  const ringOf = (nodes: Array<{ daemon: StorageDaemon }>, ids = ['s1', 's2', 's3']): pb.RingMember[] =>
    nodes.map((n, i) => ({ node_id: ids[i]!, address: `127.0.0.1:${n.daemon.grpcPort}` }));

  it('answers with only itself before it knows a ring, with its generation as in Health', async () => {
    const { client } = await h.start({ nodeId: 's1', dataDir: join(h.dir, 's1'), gossip: GOSSIP });
    const res = await client.gossip(observe(), opts());
    expect(res.node_id).toBe('s1');
    expect(res.members.map((m) => [m.node_id, m.status])).toEqual([['s1', 'MEMBER_ALIVE']]);
    const health = await client.health(opts());
    expect(res.members[0]!.generation).toBe(health.generation);
    expect(BigInt(res.members[0]!.heartbeat)).toBeGreaterThanOrEqual(0n);
    expect(res.members[0]!.gc_grace_ms).toBe(String(10 * 24 * 3600 * 1000));
  });

  it('spreads a ring given to one node; every node sees every other alive with growing heartbeats', async () => {
    const nodes = await three();
    const res = await nodes[0]!.client.gossip(observe(ringOf(nodes), '4'), opts());
    expect(res.ring_epoch).toBe('4');
    for (const n of nodes) {
      await eventually('all members alive', async () => {
        const r = await n.client.gossip(observe(), opts());
        return r.ring_epoch === '4' && r.members.length === 3 && r.members.every((m) => m.status === 'MEMBER_ALIVE' && BigInt(m.generation) > 0n);
      });
    }
    const before = (await nodes[1]!.client.gossip(observe(), opts())).members.find((m) => m.node_id === 's3')!;
    await eventually('s3 heartbeat grows at s2', async () => {
      const now = (await nodes[1]!.client.gossip(observe(), opts())).members.find((m) => m.node_id === 's3')!;
      return BigInt(now.heartbeat) > BigInt(before.heartbeat);
    });
    // The gauge counts the members by local liveness.
    const metrics = await (await fetch(`http://127.0.0.1:${nodes[0]!.daemon.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/pairdb_storage_gossip_members\{node_id="s1",state="alive"\} 3/);
    expect(metrics).toMatch(/pairdb_storage_gossip_members\{node_id="s1",state="down"\} 0/);
    // An older ring does not replace the newer one.
    await nodes[0]!.client.gossip(observe(ringOf(nodes).slice(0, 2), '3'), opts());
    expect((await nodes[0]!.client.gossip(observe(), opts())).members).toHaveLength(3);
  });

  it('a stopped node leaves: the others see it left at once (not after the down timeout)', async () => {
    const nodes = await three();
    await nodes[0]!.client.gossip(observe(ringOf(nodes), '1'), opts());
    await eventually('s1 sees s3 alive', async () => (await statusOf(nodes[0]!.client, 's3')) === 'MEMBER_ALIVE');
    await eventually('s3 sees s1 and s2 alive', async () => (await statusOf(nodes[2]!.client, 's1')) === 'MEMBER_ALIVE' && (await statusOf(nodes[2]!.client, 's2')) === 'MEMBER_ALIVE');
    await nodes[2]!.daemon.stop('test');
    expect(await statusOf(nodes[0]!.client, 's3')).toBe('MEMBER_LEFT');
    expect(await statusOf(nodes[1]!.client, 's3')).toBe('MEMBER_LEFT');
  });

  it('a ring member that never answers turns suspect, then down', async () => {
    const { client } = await h.start({ nodeId: 's1', dataDir: join(h.dir, 's1'), gossip: FAST_TIMEOUTS });
    await client.gossip(observe([{ node_id: 's1', address: '127.0.0.1:1' }, { node_id: 'ghost', address: '127.0.0.1:9' }], '1'), opts());
    const seen = new Set<string>();
    await eventually('ghost down', async () => {
      const st = await statusOf(client, 'ghost');
      if (st) seen.add(st);
      return st === 'MEMBER_DOWN';
    });
    expect(seen.has('MEMBER_SUSPECT')).toBe(true);
  });

  it('observers are not members and their pushed states are not taken; the fence is max-merged into Health', async () => {
    const { client } = await h.start({ nodeId: 's1', dataDir: join(h.dir, 's1'), gossip: GOSSIP });
    const ring = [{ node_id: 's1', address: '127.0.0.1:1' }, { node_id: 's2', address: '127.0.0.1:2' }];
    const fake: pb.MemberState = { node_id: 's2', address: 'x:1', generation: '999', heartbeat: '999', status: 'MEMBER_ALIVE', disk_usage_percent: 0, key_count: '0', load_bytes: '0', gc_grace_ms: '0' };
    const res = await client.gossip(observe(ring, '1', { members: [fake], fence_epoch: '5' }), opts());
    expect(res.members.map((m) => m.node_id)).toEqual(['s1', 's2']);
    expect(res.members.find((m) => m.node_id === 's2')!.generation).toBe('0');
    expect(res.members.some((m) => m.node_id === 'c1')).toBe(false);
    expect(res.fence_epoch).toBe('5');
    await client.gossip(observe([], '0', { fence_epoch: '3' }), opts());
    expect((await client.health(opts())).fence_epoch).toBe('5');
  });

  it('rejects malformed requests with INVALID_ARGUMENT / INVALID_REQUEST', async () => {
    const { client } = await h.start({ nodeId: 's1', dataDir: join(h.dir, 's1'), gossip: GOSSIP });
    const bad: pb.GossipRequest[] = [
      observe([{ node_id: '', address: 'a:1' }], '1'),
      observe([{ node_id: 's2', address: '' }], '1'),
      { sender_id: 's2', observer: false, members: [{ node_id: 'bad:id', address: 'a:1', generation: '1', heartbeat: '1', status: 'MEMBER_ALIVE' }], fence_epoch: '0', ring: [], ring_epoch: '0' },
      { sender_id: 's2', observer: false, members: [{ node_id: 's2', address: 'a:1', generation: '1', heartbeat: '1', status: 'MEMBER_STATUS_UNSPECIFIED' }], fence_epoch: '0', ring: [], ring_epoch: '0' },
    ];
    for (const req of bad) await expect(client.gossip(req, opts())).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
