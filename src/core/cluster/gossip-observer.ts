import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { memberFromWire, uint64FromWire } from './gossip-wire.js';
import { type MemberStatus, type MemberView, sample } from './membership.js';
import type { NodeHandle, NodeLiveness, NodeRegistry } from './node-registry.js';

/**
 * The coordinator's gossip observer (cluster.md §10): every interval it pulls the member tables of 2 random alive
 * storage nodes (Gossip with `observer` = true, carrying the ring, the topology epoch and the fence) and hands the
 * combined view to the registry, which marks nodes the view calls down as down. Pull failures are not fed into the
 * circuit breaker: the circuit counts data-path failures only, and detection of silent nodes is gossip's job.
 */

export interface GossipObserverOptions {
  readonly registry: NodeRegistry;
  readonly coordinatorId: string;
  /** The coordinator's topology epoch: sent as ring_epoch, so nodes keep the newest ring. */
  readonly ringEpoch: () => number;
  /** A fence floor to send besides the observer's own (pushFence raises that one). */
  readonly fenceEpoch?: () => number;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Nodes pulled per round (2). */
  readonly fanout?: number;
  /** Deadline of one pull (rpc.md §6: 1 s). */
  readonly timeoutMs?: number;
  readonly random?: () => number;
}

const SEVERITY: Readonly<Record<MemberStatus, number>> = { alive: 0, suspect: 1, down: 2, left: 3 };

/**
 * Combines the member tables of one round: per node the state with the highest (generation, heartbeat) — the
 * freshest knowledge of it — and on a tie the more hopeful status of the two observers, except that `left` (final for
 * its generation) wins. `left` and `down` are down for the coordinator.
 */
export function combineViews(tables: ReadonlyArray<readonly MemberView[]>): Map<string, NodeLiveness> {
  const best = new Map<string, MemberView>();
  for (const table of tables) {
    for (const m of table) {
      const cur = best.get(m.nodeId);
      if (!cur) {
        best.set(m.nodeId, m);
        continue;
      }
      const higher = m.generation > cur.generation || (m.generation === cur.generation && m.heartbeat > cur.heartbeat);
      const tie = m.generation === cur.generation && m.heartbeat === cur.heartbeat;
      const better = m.status === 'left' || (cur.status !== 'left' && SEVERITY[m.status] < SEVERITY[cur.status]);
      if (higher || (tie && better)) best.set(m.nodeId, m);
    }
  }
  const out = new Map<string, NodeLiveness>();
  for (const [id, m] of best) out.set(id, m.status === 'left' ? 'down' : m.status);
  return out;
}

/** What a fence push reached (cluster.md §4 Barrier). */
export interface FencePushResult {
  readonly acked: string[];
  readonly failed: Array<{ nodeId: string; error: string }>;
}

export class GossipObserver {
  readonly #o: GossipObserverOptions;
  /** The coordinator's current fence: the highest pushed or learned from the nodes (max-merged like theirs). */
  #fence = 0n;
  /** gc_grace_ms per node as last gossiped (MemberState), for ClusterStatus's stale-node warning. */
  readonly #gcGrace = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #pulling = false;
  #failuresLogged = 0;

  constructor(opts: GossipObserverOptions) {
    this.#o = opts;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.pull(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A node's gc_grace in ms as last gossiped, or undefined if never heard. */
  gcGraceOf(nodeId: string): number | undefined {
    return this.#gcGrace.get(nodeId);
  }

  /** The fence the pulls carry. */
  get fenceEpoch(): bigint {
    const floor = BigInt(this.#o.fenceEpoch?.() ?? 0);
    return floor > this.#fence ? floor : this.#fence;
  }

  /**
   * The end of Barrier(E) (cluster.md §4): raises this coordinator's fence to `epoch` and pushes it (Gossip as observer,
   * with the ring and ring epoch) to every node not down, in parallel. A node answers once the fence is durable there;
   * nodes that fail or are down learn it from later pulls and from their peers (the fence is max-merged in gossip).
   */
  async pushFence(epoch: number | bigint): Promise<FencePushResult> {
    const e = BigInt(epoch);
    if (e > this.#fence) this.#fence = e;
    const all = [...this.#o.registry.handles].filter((h) => h.client.gossip);
    const ring = all.map((h) => ({ node_id: h.record.nodeId, address: h.address }));
    const targets = all.filter((h) => !h.down);
    const results = await Promise.allSettled(targets.map((h) => this.#pullOne(h, ring)));
    const out: FencePushResult = { acked: [], failed: [] };
    results.forEach((r, i) => {
      const nodeId = targets[i]!.record.nodeId;
      if (r.status === 'fulfilled') out.acked.push(nodeId);
      else out.failed.push({ nodeId, error: PairdbError.from(r.reason).message });
    });
    if (out.failed.length > 0) this.#o.logger.warn({ fence_epoch: e.toString(), failed: out.failed }, 'fence push did not reach every alive node; gossip will carry it');
    else this.#o.logger.info({ fence_epoch: e.toString(), nodes: out.acked.length }, 'topology fence pushed');
    return out;
  }

  /**
   * One round: pull from `fanout` random alive (or suspect) nodes; when fewer are alive, down nodes fill up, so a
   * coordinator that lost sight of every node still learns when they are back. A round whose pulls all fail changes
   * nothing (the last view stands).
   */
  async pull(): Promise<void> {
    if (this.#pulling) return;
    this.#pulling = true;
    try {
      const o = this.#o;
      const all = [...o.registry.handles].filter((h) => h.client.gossip);
      const fanout = o.fanout ?? 2;
      const random = o.random ?? Math.random;
      const up = all.filter((h) => !h.down);
      let chosen = sample(up, fanout, random);
      if (chosen.length < fanout) chosen = chosen.concat(sample(all.filter((h) => h.down), fanout - chosen.length, random));
      if (chosen.length === 0) return;
      const ring = all.map((h) => ({ node_id: h.record.nodeId, address: h.address }));
      const results = await Promise.allSettled(chosen.map((h) => this.#pullOne(h, ring)));
      const tables: MemberView[][] = [];
      for (const r of results) {
        if (r.status === 'fulfilled') tables.push(r.value);
        else this.#logFailure(r.reason);
      }
      if (tables.length > 0) o.registry.applyView(combineViews(tables));
    } finally {
      this.#pulling = false;
    }
  }

  async #pullOne(h: NodeHandle, ring: Array<{ node_id: string; address: string }>): Promise<MemberView[]> {
    const o = this.#o;
    try {
      const res = await h.client.gossip!(
        {
          sender_id: o.coordinatorId,
          observer: true,
          members: [],
          fence_epoch: this.fenceEpoch.toString(),
          ring,
          ring_epoch: String(o.ringEpoch()),
        },
        { requestId: '', deadlineMs: Date.now() + (o.timeoutMs ?? 1000) },
      );
      const members = res.members.map((m, i) => memberFromWire(m, i));
      for (const m of members) if (m.load.gcGraceMs > 0n) this.#gcGrace.set(m.nodeId, Number(m.load.gcGraceMs));
      const fence = uint64FromWire(res.fence_epoch, 'fence_epoch');
      if (fence > this.#fence) this.#fence = fence;
      return members;
    } catch (err) {
      const e = PairdbError.from(err);
      throw new PairdbError(e.code, `gossip pull from ${h.record.nodeId} (${h.address}) failed: ${e.message}`, { cause: err });
    }
  }

  /** A pull failing is normal while a node dies (it may still look alive); logged at debug, the first few at info. */
  #logFailure(err: unknown): void {
    const msg = PairdbError.from(err).message;
    if (this.#failuresLogged < 3) {
      this.#failuresLogged++;
      this.#o.logger.info({ err: msg }, 'gossip pull failed');
    } else {
      this.#o.logger.debug({ err: msg }, 'gossip pull failed');
    }
  }
}
