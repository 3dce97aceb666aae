/**
 * A storage node's member table for failure detection by gossip (cluster.md §10). Pure: no I/O, the clock and the
 * random source are injected, so the timing rules can be tested with a fake clock.
 *
 * - The own entry has generation = start time in ms and a heartbeat bumped every gossip interval (`tick`).
 * - A received state replaces ours when its (generation, heartbeat) is higher. Liveness is judged only from the
 *   heartbeat progress this node has seen itself: a sender's `status` is its own opinion and is not merged, except
 *   `left`, which the leaving node announces about itself and which is final for that generation.
 * - Only ring members are kept and gossiped with. The ring comes from coordinator pulls (and is passed on between
 *   nodes); the ring with the highest ring epoch wins. The topology fence is max-merged.
 */

export type Liveness = 'alive' | 'suspect' | 'down';
export type MemberStatus = Liveness | 'left';

/** Cheap load figures a node gossips about itself (shown in node lists). */
export interface MemberLoad {
  readonly diskUsagePercent: number;
  readonly keyCount: bigint;
  readonly loadBytes: bigint;
  readonly gcGraceMs: bigint;
}

/** One member as gossiped: the sender's copy of a node's state plus the sender's local liveness of it. */
export interface MemberView {
  readonly nodeId: string;
  readonly address: string;
  readonly generation: bigint;
  readonly heartbeat: bigint;
  readonly status: MemberStatus;
  readonly load: MemberLoad;
}

export interface RingMemberRef {
  readonly nodeId: string;
  readonly address: string;
}

export interface MembershipOptions {
  readonly selfId: string;
  readonly selfAddress: string;
  /** Start time in ms (cluster.md §10): a restart has a higher generation than any earlier run. */
  readonly generation: bigint;
  readonly now: () => number;
  /** No heartbeat increase for this long → suspect (5 s). */
  readonly suspectAfterMs?: number;
  /** No heartbeat increase for this long → down (10 s). */
  readonly downAfterMs?: number;
}

export const DEFAULT_SUSPECT_AFTER_MS = 5_000;
export const DEFAULT_DOWN_AFTER_MS = 10_000;

export const EMPTY_LOAD: MemberLoad = Object.freeze({ diskUsagePercent: 0, keyCount: 0n, loadBytes: 0n, gcGraceMs: 0n });

interface Entry {
  address: string;
  generation: bigint;
  heartbeat: bigint;
  left: boolean;
  load: MemberLoad;
  /** Local clock when this node last saw the (generation, heartbeat) grow. */
  progressAtMs: number;
}

/** (g1, h1) > (g2, h2) in lexicographic order. */
function newer(g1: bigint, h1: bigint, g2: bigint, h2: bigint): boolean {
  return g1 > g2 || (g1 === g2 && h1 > h2);
}

export class Membership {
  readonly #o: MembershipOptions;
  readonly #suspectMs: number;
  readonly #downMs: number;
  readonly #self: Entry;
  /** Other ring members, by node id. */
  readonly #peers = new Map<string, Entry>();
  /** node id → address to contact it at; undefined until a ring arrives. */
  #ring: Map<string, string> | undefined;
  #ringEpoch = 0n;
  #fenceEpoch = 0n;

  constructor(opts: MembershipOptions) {
    this.#o = opts;
    this.#suspectMs = opts.suspectAfterMs ?? DEFAULT_SUSPECT_AFTER_MS;
    this.#downMs = opts.downAfterMs ?? DEFAULT_DOWN_AFTER_MS;
    if (!(this.#suspectMs > 0 && this.#downMs >= this.#suspectMs)) throw new Error('gossip timing needs 0 < suspect ≤ down');
    this.#self = { address: opts.selfAddress, generation: opts.generation, heartbeat: 0n, left: false, load: EMPTY_LOAD, progressAtMs: opts.now() };
  }

  get selfId(): string {
    return this.#o.selfId;
  }

  get generation(): bigint {
    return this.#self.generation;
  }

  get heartbeat(): bigint {
    return this.#self.heartbeat;
  }

  get fenceEpoch(): bigint {
    return this.#fenceEpoch;
  }

  /** The ring epoch of the ring in use; 0 before any ring arrived. */
  get ringEpoch(): bigint {
    return this.#ringEpoch;
  }

  /** The ring in use (empty before one arrived), to pass on in gossip. */
  get ring(): RingMemberRef[] {
    return [...(this.#ring ?? new Map<string, string>())].map(([nodeId, address]) => ({ nodeId, address }));
  }

  get ringKnown(): boolean {
    return this.#ring !== undefined;
  }

  get left(): boolean {
    return this.#self.left;
  }

  /** One gossip interval passed: bump the own heartbeat and refresh the own load figures. */
  tick(load?: MemberLoad): void {
    this.#self.heartbeat++;
    if (load) this.#self.load = load;
  }

  /** Leaves the cluster gracefully: `left` is final for this generation; the heartbeat grows so it spreads. */
  leave(): void {
    this.#self.left = true;
    this.#self.heartbeat++;
  }

  /**
   * Adopts a ring (from a coordinator pull or a peer) when its epoch is higher than the one in use, or when none is
   * known yet. Entries of nodes outside it are dropped; members never heard of get a placeholder whose heartbeat
   * has not grown since now, so a member that never answers turns suspect and then down. Returns whether adopted.
   */
  applyRing(ring: readonly RingMemberRef[], ringEpoch: bigint): boolean {
    if (this.#ring !== undefined && ringEpoch <= this.#ringEpoch) return false;
    const next = new Map<string, string>();
    for (const m of ring) next.set(m.nodeId, m.address);
    this.#ring = next;
    this.#ringEpoch = ringEpoch;
    for (const id of this.#peers.keys()) if (!next.has(id)) this.#peers.delete(id);
    const now = this.#o.now();
    for (const [id, address] of next) {
      if (id === this.#o.selfId || this.#peers.has(id)) continue;
      this.#peers.set(id, { address, generation: 0n, heartbeat: 0n, left: false, load: EMPTY_LOAD, progressAtMs: now });
    }
    return true;
  }

  /** Max-merges the topology fence (cluster.md §4). Returns whether it grew. */
  mergeFence(epoch: bigint): boolean {
    if (epoch <= this.#fenceEpoch) return false;
    this.#fenceEpoch = epoch;
    return true;
  }

  /** Merges received member states: the higher (generation, heartbeat) wins; nodes outside the ring are ignored. */
  merge(states: readonly MemberView[]): void {
    const now = this.#o.now();
    for (const s of states) {
      // Nobody else speaks for this node; a copy of an older run of it is simply stale.
      if (s.nodeId === this.#o.selfId) continue;
      const cur = this.#peers.get(s.nodeId);
      if (!cur) continue; // not a ring member (or no ring yet): not kept
      if (newer(s.generation, s.heartbeat, cur.generation, cur.heartbeat)) {
        cur.left = (s.generation === cur.generation && cur.left) || s.status === 'left';
        cur.generation = s.generation;
        cur.heartbeat = s.heartbeat;
        if (s.address) cur.address = s.address;
        cur.load = s.load;
        cur.progressAtMs = now;
      } else if (s.generation === cur.generation && s.status === 'left') {
        cur.left = true;
      }
    }
  }

  /** This node's local liveness of a member; undefined for a node it does not keep. */
  statusOf(nodeId: string): MemberStatus | undefined {
    if (nodeId === this.#o.selfId) return this.#self.left ? 'left' : 'alive';
    const e = this.#peers.get(nodeId);
    return e ? this.#status(e) : undefined;
  }

  #status(e: Entry): MemberStatus {
    if (e.left) return 'left';
    const silent = this.#o.now() - e.progressAtMs;
    if (silent >= this.#downMs) return 'down';
    if (silent >= this.#suspectMs) return 'suspect';
    return 'alive';
  }

  /** Every kept member (self first) with this node's local liveness of it: what a Gossip answer carries. */
  members(): MemberView[] {
    const out: MemberView[] = [this.#view(this.#o.selfId, this.#self, this.#self.left ? 'left' : 'alive')];
    for (const [id, e] of this.#peers) out.push(this.#view(id, e, this.#status(e)));
    return out;
  }

  #view(nodeId: string, e: Entry, status: MemberStatus): MemberView {
    return { nodeId, address: e.address, generation: e.generation, heartbeat: e.heartbeat, status, load: e.load };
  }

  /**
   * The peers of one gossip round: up to `fanout` random alive-or-suspect ring members, plus one random member
   * believed down or left (as Cassandra does), so that a restarted node is found even though nobody else would
   * contact it. Addresses are the ring's.
   */
  gossipTargets(fanout: number, random: () => number = Math.random): RingMemberRef[] {
    const ring = this.#ring;
    if (!ring || this.#self.left) return [];
    const live: RingMemberRef[] = [];
    const unreachable: RingMemberRef[] = [];
    for (const [id, e] of this.#peers) {
      const ref = { nodeId: id, address: ring.get(id) ?? e.address };
      const st = this.#status(e);
      (st === 'alive' || st === 'suspect' ? live : unreachable).push(ref);
    }
    const out = sample(live, fanout, random);
    if (unreachable.length > 0) out.push(unreachable[Math.floor(random() * unreachable.length)]!);
    return out;
  }
}

/** Up to n distinct random items (partial Fisher–Yates on a copy). */
export function sample<T>(items: readonly T[], n: number, random: () => number = Math.random): T[] {
  const a = [...items];
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}
