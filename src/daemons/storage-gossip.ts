import { memberFromWire, memberToWire, ringFromWire, ringToWire, uint64FromWire } from '../core/cluster/gossip-wire.js';
import { type MemberLoad, type MemberStatus, type MemberView, Membership, type RingMemberRef } from '../core/cluster/membership.js';
import { PairdbError } from '../core/errors.js';
import type { Logger } from '../core/observability/logger.js';
import { StorageClient } from '../core/rpc/clients.js';
import type { CallOptions } from '../core/rpc/pipe.js';
import type * as pb from '../core/rpc/types.js';

/**
 * A storage node's side of failure detection (cluster.md §10): serves Gossip (push-pull; observers are not members)
 * and runs the gossip rounds — every interval the heartbeat grows and the member table goes to `fanout` random
 * alive-or-suspect ring peers (plus one believed down, to find restarted nodes), one client per peer address.
 */

/** The one call gossip makes on a peer (StorageClient implements it). */
export interface GossipPeer {
  gossip(req: pb.GossipRequest, opts: CallOptions): Promise<pb.GossipResponse__Output>;
  close(): void;
}

export interface StorageGossipOptions {
  readonly nodeId: string;
  /** host:port this node serves on (the address it gossips about itself). */
  readonly address: string;
  /** Start time in ms. */
  readonly generation: bigint;
  readonly logger: Logger;
  /** The node's cheap load figures, read once per round. */
  readonly load: () => MemberLoad;
  readonly intervalMs?: number;
  readonly fanout?: number;
  /** Deadline of one Gossip call (rpc.md §6: 1 s). */
  readonly timeoutMs?: number;
  readonly suspectAfterMs?: number;
  readonly downAfterMs?: number;
  readonly peerFactory?: (address: string) => GossipPeer;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Called when the max-merged fence grew (the daemon persists it; storage-engine.md §13). */
  readonly onFenceRaised?: (epoch: bigint) => void;
}

export class StorageGossip {
  readonly membership: Membership;
  readonly #o: StorageGossipOptions;
  readonly #now: () => number;
  readonly #peers = new Map<string, GossipPeer>();
  readonly #inFlight = new Set<string>();
  /** Last logged liveness per member, to log changes only. */
  readonly #logged = new Map<string, MemberStatus>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: StorageGossipOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.membership = new Membership({
      selfId: opts.nodeId,
      selfAddress: opts.address,
      generation: opts.generation,
      now: this.#now,
      suspectAfterMs: opts.suspectAfterMs,
      downAfterMs: opts.downAfterMs,
    });
  }

  start(): void {
    if (this.#timer) return;
    // The first heartbeat carries the load at once rather than zeros until the first round.
    this.membership.tick(this.#o.load());
    this.#timer = setInterval(() => this.round(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const p of this.#peers.values()) p.close();
    this.#peers.clear();
  }

  /** Members by local liveness (the storage_gossip_members gauge). */
  counts(): Record<MemberStatus, number> {
    const out: Record<MemberStatus, number> = { alive: 0, suspect: 0, down: 0, left: 0 };
    for (const m of this.membership.members()) out[m.status]++;
    return out;
  }

  /**
   * Gossip RPC: adopt a newer ring, merge the pushed states (an observer's are not taken: it is no member),
   * max-merge the fence, answer with this node's table. Bad input → INVALID_REQUEST before anything changes.
   */
  handle(req: pb.GossipRequest__Output): pb.GossipResponse {
    const members = req.observer ? [] : req.members.map((m, i) => memberFromWire(m, i));
    const ring = ringFromWire(req.ring);
    const ringEpoch = uint64FromWire(req.ring_epoch, 'ring_epoch');
    const fence = uint64FromWire(req.fence_epoch, 'fence_epoch');
    this.#absorb(members, ring.length > 0 ? { ring, ringEpoch } : undefined, fence, req.sender_id);
    return this.#answer();
  }

  #answer(): pb.GossipResponse {
    const m = this.membership;
    return {
      node_id: this.#o.nodeId,
      members: m.members().map(memberToWire),
      fence_epoch: m.fenceEpoch.toString(),
      ring_epoch: m.ringEpoch.toString(),
    };
  }

  #absorb(members: readonly MemberView[], ring: { ring: readonly RingMemberRef[]; ringEpoch: bigint } | undefined, fence: bigint, from: string): void {
    const m = this.membership;
    // An empty ring means "none known" (a node that has not been told yet), never "no members".
    if (ring && m.applyRing(ring.ring, ring.ringEpoch)) {
      this.#o.logger.info({ ring_epoch: ring.ringEpoch.toString(), members: ring.ring.length, from }, 'gossip ring updated');
      this.#closeGonePeers();
    }
    m.merge(members);
    if (m.mergeFence(fence)) {
      this.#o.logger.info({ fence_epoch: fence.toString(), from }, 'topology fence raised');
      this.#o.onFenceRaised?.(fence);
    }
  }

  #request(): pb.GossipRequest {
    const m = this.membership;
    return {
      sender_id: this.#o.nodeId,
      observer: false,
      members: m.members().map(memberToWire),
      fence_epoch: m.fenceEpoch.toString(),
      ring: m.ringKnown ? ringToWire(m.ring) : [],
      ring_epoch: m.ringEpoch.toString(),
    };
  }

  /** One round: bump the heartbeat, push-pull with the chosen peers (not awaited; a slow peer skips rounds). */
  round(): void {
    const m = this.membership;
    m.tick(this.#o.load());
    for (const target of m.gossipTargets(this.#o.fanout ?? 3, this.#o.random)) void this.#exchange(target.nodeId, target.address);
    this.#logChanges();
  }

  /**
   * One push-pull with a peer. Rounds skip a peer whose last exchange is still running (a slow peer is not piled on);
   * the leave announcement (`always`) never does, or a peer busy with a round would miss it.
   */
  async #exchange(nodeId: string, address: string, timeoutMs = this.#o.timeoutMs ?? 1000, always = false): Promise<void> {
    const guarded = !always;
    if (guarded && this.#inFlight.has(address)) return;
    if (guarded) this.#inFlight.add(address);
    try {
      const res = await this.#peer(address).gossip(this.#request(), { requestId: '', deadlineMs: Date.now() + timeoutMs });
      let members;
      try {
        members = res.members.map((s, i) => memberFromWire(s, i));
      } catch (err) {
        this.#o.logger.warn({ peer: nodeId, err: PairdbError.from(err).message }, 'ignoring a malformed gossip answer');
        return;
      }
      this.#absorb(members, undefined, uint64FromWire(res.fence_epoch, 'fence_epoch'), nodeId);
    } catch (err) {
      // Expected while a peer is down; its silence is what the member table measures. A fresh channel next time
      // connects at once instead of waiting out the old one's reconnect backoff when the peer comes back.
      this.#dropPeer(address);
      this.#o.logger.debug({ peer: nodeId, err: PairdbError.from(err).message }, 'gossip exchange failed');
    } finally {
      if (guarded) this.#inFlight.delete(address);
    }
  }

  #peer(address: string): GossipPeer {
    let p = this.#peers.get(address);
    if (!p) {
      p = (this.#o.peerFactory ?? ((a: string) => new StorageClient(a)))(address);
      this.#peers.set(address, p);
    }
    return p;
  }

  #dropPeer(address: string): void {
    this.#peers.get(address)?.close();
    this.#peers.delete(address);
  }

  #closeGonePeers(): void {
    const wanted = new Set(this.membership.ring.map((r) => r.address));
    for (const address of [...this.#peers.keys()]) if (!wanted.has(address)) this.#dropPeer(address);
  }

  #logChanges(): void {
    for (const v of this.membership.members()) {
      const before = this.#logged.get(v.nodeId);
      if (before === v.status) continue;
      this.#logged.set(v.nodeId, v.status);
      if (before === undefined && v.status === 'alive') continue;
      const log = v.status === 'alive' ? this.#o.logger.info.bind(this.#o.logger) : this.#o.logger.warn.bind(this.#o.logger);
      log({ member: v.nodeId, from: before ?? 'unknown', to: v.status }, 'gossip member liveness changed');
    }
  }

  /**
   * Graceful leave (cli-and-ops.md §3 step 2): mark itself `left` and push that once to the live peers, so they
   * and the coordinators see the node down at once instead of after the down timeout. Best effort, bounded.
   */
  async leave(timeoutMs = 500): Promise<void> {
    const m = this.membership;
    if (m.left) return;
    const targets = m.gossipTargets(this.#o.fanout ?? 3, this.#o.random).filter((t) => {
      const st = m.statusOf(t.nodeId);
      return st === 'alive' || st === 'suspect';
    });
    m.leave();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled(targets.map((t) => this.#exchange(t.nodeId, t.address, timeoutMs, true)));
  }
}
