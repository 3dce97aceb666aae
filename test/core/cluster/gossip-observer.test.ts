import { describe, expect, it } from 'vitest';
import { GossipObserver, combineViews } from '../../../src/core/cluster/gossip-observer.js';
import { memberToWire } from '../../../src/core/cluster/gossip-wire.js';
import { EMPTY_LOAD, type MemberView } from '../../../src/core/cluster/membership.js';
import { NodeRegistry, type StorageNodeClient } from '../../../src/core/cluster/node-registry.js';
import { PairdbError } from '../../../src/core/errors.js';
import type { StorageNodeRecord } from '../../../src/core/metadata/metadata-store.js';
import { silentLogger } from '../../../src/core/observability/logger.js';
import type * as pb from '../../../src/core/rpc/types.js';

/**
 * The coordinator's side of cluster.md §10 with fake storage clients: how pulled views combine, and the registry's
 * rule — down when the view says so or the circuit is open; alive again when Health answers and the view agrees.
 */

const view = (nodeId: string, generation: bigint, heartbeat: bigint, status: MemberView['status']): MemberView => ({
  nodeId,
  address: `a-${nodeId}`,
  generation,
  heartbeat,
  status,
  load: EMPTY_LOAD,
});

/** A fake node: answers Health unless `healthy` is false; answers Gossip with `table` (or fails). */
class FakeNode implements StorageNodeClient {
  healthy = true;
  table: MemberView[] = [];
  gossipFails = false;
  readonly pulls: pb.GossipRequest[] = [];
  write(): Promise<pb.WriteResponse__Output> {
    return Promise.reject(new Error('unused'));
  }
  read(): Promise<pb.ReadResponse__Output> {
    return Promise.reject(new Error('unused'));
  }
  stats(): Promise<pb.StatsResponse__Output> {
    return Promise.reject(new Error('unused'));
  }
  health(): Promise<pb.HealthResponse__Output> {
    return this.healthy ? Promise.resolve({} as pb.HealthResponse__Output) : Promise.reject(new PairdbError('SERVICE_UNAVAILABLE', 'no route'));
  }
  gossip(req: pb.GossipRequest): Promise<pb.GossipResponse__Output> {
    this.pulls.push(req);
    if (this.gossipFails) return Promise.reject(new PairdbError('SERVICE_UNAVAILABLE', 'no route'));
    return Promise.resolve({ node_id: '', members: this.table.map(memberToWire), fence_epoch: '0', ring_epoch: '0' } as unknown as pb.GossipResponse__Output);
  }
  close(): void {}
}

function cluster(ids: string[]) {
  const nodes = new Map(ids.map((id) => [`127.0.0.1:${ids.indexOf(id) + 1}`, new FakeNode()]));
  const alive: string[] = [];
  const registry = new NodeRegistry({ clientFactory: (address) => nodes.get(address)!, logger: silentLogger(), onAlive: (id) => alive.push(id) });
  const records: StorageNodeRecord[] = ids.map((id, i) => ({ nodeId: id, host: '127.0.0.1', port: i + 1, state: 'normal', virtualNodes: 8 }) as unknown as StorageNodeRecord);
  registry.update(records);
  const node = (id: string) => nodes.get(`127.0.0.1:${ids.indexOf(id) + 1}`)!;
  return { registry, node, alive };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('combineViews', () => {
  it('takes the freshest state per node; a tie goes to the more hopeful status, except left', () => {
    const v = combineViews([
      [view('s1', 5n, 10n, 'alive'), view('s2', 5n, 3n, 'down'), view('s3', 5n, 3n, 'suspect'), view('s4', 5n, 3n, 'alive')],
      [view('s1', 5n, 9n, 'alive'), view('s2', 6n, 0n, 'alive'), view('s3', 5n, 3n, 'down'), view('s4', 5n, 3n, 'left')],
    ]);
    expect(Object.fromEntries(v)).toEqual({ s1: 'alive', s2: 'alive', s3: 'suspect', s4: 'down' });
  });
});

describe('GossipObserver + NodeRegistry', () => {
  it('pulls 2 alive nodes as an observer carrying the ring and epoch', async () => {
    const { registry, node } = cluster(['s1', 's2', 's3']);
    const obs = new GossipObserver({ registry, coordinatorId: 'c1', ringEpoch: () => 7, logger: silentLogger() });
    await obs.pull();
    const pulls = ['s1', 's2', 's3'].flatMap((id) => node(id).pulls);
    expect(pulls).toHaveLength(2);
    for (const p of pulls) {
      expect(p).toMatchObject({ sender_id: 'c1', observer: true, members: [], ring_epoch: '7', fence_epoch: '0' });
      expect(p.ring).toEqual([
        { node_id: 's1', address: '127.0.0.1:1' },
        { node_id: 's2', address: '127.0.0.1:2' },
        { node_id: 's3', address: '127.0.0.1:3' },
      ]);
    }
  });

  it('marks a node down when the view says so; suspect nodes stay in use', async () => {
    const { registry, node } = cluster(['s1', 's2', 's3']);
    for (const id of ['s1', 's2', 's3']) node(id).table = [view('s1', 1n, 9n, 'alive'), view('s2', 1n, 9n, 'suspect'), view('s3', 1n, 9n, 'down')];
    const obs = new GossipObserver({ registry, coordinatorId: 'c1', ringEpoch: () => 1, logger: silentLogger() });
    await obs.pull();
    expect(registry.isDown('s3')).toBe(true);
    expect(registry.handle('s3')!.down).toBe(true);
    expect(registry.handle('s3')!.downSinceMs).toBeTypeOf('number');
    expect(registry.liveness('s3')).toBe('down');
    expect(registry.isDown('s2')).toBe(false);
    expect(registry.liveness('s2')).toBe('suspect');
    expect(registry.liveness('s1')).toBe('alive');
    // A down node is not pulled any more.
    for (const id of ['s1', 's2', 's3']) node(id).pulls.length = 0;
    for (let i = 0; i < 5; i++) await obs.pull();
    expect(node('s3').pulls).toHaveLength(0);
  });

  it('a node answering Health stays down while the view says down; alive once the view agrees (onAlive fires)', async () => {
    const { registry, node, alive } = cluster(['s1', 's2', 's3']);
    const set = (status: MemberView['status'], hb: bigint) => {
      for (const id of ['s1', 's2']) node(id).table = [view('s3', 1n, hb, status)];
    };
    set('down', 5n);
    registry.applyView(combineViews([node('s1').table]));
    expect(registry.isDown('s3')).toBe(true);
    await registry.probe(); // s3 answers Health, but the view still says down
    expect(registry.isDown('s3')).toBe(true);
    expect(alive).toEqual([]);
    node('s3').healthy = false;
    set('alive', 6n);
    const obs = new GossipObserver({ registry, coordinatorId: 'c1', ringEpoch: () => 1, logger: silentLogger() });
    await obs.pull();
    await tick();
    expect(registry.isDown('s3')).toBe(true); // view agrees now, but Health fails
    node('s3').healthy = true;
    await registry.probe();
    expect(registry.isDown('s3')).toBe(false);
    expect(registry.handle('s3')!.downSinceMs).toBeUndefined();
    expect(alive).toEqual(['s3']);
  });

  it('probes at once when the view stops calling a down node down', async () => {
    const { registry, alive } = cluster(['s1', 's2', 's3']);
    registry.applyView(new Map([['s3', 'down']]));
    expect(registry.isDown('s3')).toBe(true);
    registry.applyView(new Map([['s3', 'alive']]));
    await tick();
    await tick();
    expect(registry.isDown('s3')).toBe(false);
    expect(alive).toEqual(['s3']);
  });

  it('keeps the circuit breaker: 3 transport failures open it even while the view says alive; a probe closes it', async () => {
    const { registry, node } = cluster(['s1', 's2', 's3']);
    registry.applyView(new Map([['s2', 'alive']]));
    for (let i = 0; i < 3; i++) registry.observe('s2', new PairdbError('TIMEOUT', 'slow'));
    expect(registry.isDown('s2')).toBe(true);
    node('s2').healthy = false;
    await registry.probe();
    expect(registry.isDown('s2')).toBe(true);
    node('s2').healthy = true;
    await registry.probe();
    expect(registry.isDown('s2')).toBe(false);
  });

  it('a failed pull changes nothing; when every node is down it still pulls (down ones) to learn they are back', async () => {
    const { registry, node } = cluster(['s1', 's2']);
    registry.applyView(new Map([['s1', 'down'], ['s2', 'down']]));
    node('s1').gossipFails = true;
    node('s2').gossipFails = true;
    const obs = new GossipObserver({ registry, coordinatorId: 'c1', ringEpoch: () => 1, logger: silentLogger() });
    await obs.pull();
    expect(node('s1').pulls.length + node('s2').pulls.length).toBe(2);
    expect(registry.isDown('s1')).toBe(true);
    node('s1').gossipFails = false;
    node('s1').table = [view('s1', 2n, 1n, 'alive'), view('s2', 2n, 1n, 'alive')];
    await obs.pull();
    await tick();
    await tick();
    expect(registry.isDown('s1')).toBe(false);
    expect(registry.isDown('s2')).toBe(false);
  });

  it('nodes without gossip (old test doubles) are only judged by the circuit', async () => {
    const registry = new NodeRegistry({
      clientFactory: () => ({ ...new FakeNode(), gossip: undefined, health: () => Promise.resolve({} as pb.HealthResponse__Output), close() {} }) as unknown as StorageNodeClient,
      logger: silentLogger(),
    });
    registry.update([{ nodeId: 's1', host: '127.0.0.1', port: 1, state: 'normal', virtualNodes: 8 } as unknown as StorageNodeRecord]);
    const obs = new GossipObserver({ registry, coordinatorId: 'c1', ringEpoch: () => 1, logger: silentLogger() });
    await obs.pull();
    expect(registry.liveness('s1')).toBe('alive');
  });
});
