import { isIPv6 } from 'node:net';
import type { PairdbError } from '../errors.js';
import type { StorageNodeRecord } from '../metadata/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import type { CallOptions } from '../rpc/pipe.js';
import type * as pb from '../rpc/types.js';
import { Ring } from './ring.js';

/**
 * The coordinator's view of the storage nodes: their records, one client (pipe) per node, the ring of counted
 * nodes, and liveness (cluster.md §2, §10). A node is `down` — no RPCs, counted as failed at once — when its
 * circuit is open: three consecutive transport failures or deadlines open it, and so does a pulled gossip view
 * that says the node is down (gossip-observer.ts). A Health probe every 2 s closes the circuit when the node
 * answers and the last view agrees (does not say down). Suspect nodes are still used.
 */

/** The calls the coordinator makes on a storage node (StorageClient implements it). */
export interface StorageNodeClient {
  write(req: pb.WriteRequest, opts: CallOptions): Promise<pb.WriteResponse__Output>;
  read(req: pb.ReadRequest, opts: CallOptions): Promise<pb.ReadResponse__Output>;
  health(opts: CallOptions): Promise<pb.HealthResponse__Output>;
  stats(opts: CallOptions): Promise<pb.StatsResponse__Output>;
  /** RangeDigest and ScanRange (anti-entropy); optional so test doubles may leave them out. */
  rangeDigest?(req: pb.RangeDigestRequest, opts: CallOptions): AsyncGenerator<pb.RangeDigestResult__Output>;
  scanRange?(req: pb.ScanRangeRequest, opts: CallOptions): AsyncGenerator<pb.ScanRangeBatch__Output>;
  /** BatchWrite (hint delivery, streaming, repair); optional so test doubles may leave it out. */
  batchWrite?(batches: readonly pb.BatchWriteRequest[], opts: CallOptions): Promise<pb.BatchWriteAck__Output[]>;
  /** Migration streaming (cluster.md §11.4) and cleanup/rollback drops; optional so test doubles may leave them out. */
  startStreaming?(req: pb.StartStreamingRequest, opts: CallOptions): Promise<pb.StartStreamingResponse__Output>;
  getStreamStatus?(req: pb.GetStreamStatusRequest, opts: CallOptions): Promise<pb.StreamStatus__Output>;
  stopStreaming?(req: pb.StopStreamingRequest, opts: CallOptions): Promise<pb.StreamStatus__Output>;
  compact?(req: pb.CompactRequest, opts: CallOptions): Promise<pb.CompactResponse__Output>;
  /** Gossip pull (failure detection, cluster.md §10); optional so test doubles may leave it out. */
  gossip?(req: pb.GossipRequest, opts: CallOptions): Promise<pb.GossipResponse__Output>;
  close(): void;
}

export type ClientFactory = (address: string) => StorageNodeClient;

/** A node's liveness for the coordinator (cluster.md §2; not persisted). */
export type NodeLiveness = 'alive' | 'suspect' | 'down';

export interface NodeHandle {
  record: StorageNodeRecord;
  readonly address: string;
  readonly client: StorageNodeClient;
  /** Circuit open: by RPC failures or because the pulled gossip view says the node is down. */
  down: boolean;
  /** The node's liveness in the last pulled gossip view; undefined while no view mentions it. */
  viewLiveness?: NodeLiveness;
  /** When the circuit last opened (unix ms); undefined while the node is alive. */
  downSinceMs?: number;
  consecutiveFailures: number;
}

export interface NodeRegistryOptions {
  readonly clientFactory: ClientFactory;
  readonly logger: Logger;
  readonly failureThreshold?: number;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  /** Called when a down node's circuit closes again (hint replay starts there, cluster.md §9). */
  readonly onAlive?: (nodeId: string) => void;
}

/** host:port, bracketing IPv6 literals. */
export function nodeAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Errors that say nothing reached or answered: the transport failed or the deadline passed. */
export function isTransportFailure(err: PairdbError): boolean {
  return err.code === 'SERVICE_UNAVAILABLE' || err.code === 'TIMEOUT';
}

export class NodeRegistry {
  readonly #opts: NodeRegistryOptions;
  readonly #threshold: number;
  readonly #handles = new Map<string, NodeHandle>();
  #ring = new Ring([]);
  #ringNew = new Ring([]);
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  readonly #probesInFlight = new Set<NodeHandle>();

  constructor(opts: NodeRegistryOptions) {
    this.#opts = opts;
    this.#threshold = opts.failureThreshold ?? 3;
  }

  /** The ring of counted nodes (`normal` and `leaving`): ring_old = ring_new outside a migration. */
  get ring(): Ring {
    return this.#ring;
  }

  /** ring_new (cluster.md §1): `normal` and `bootstrapping` nodes; the same ring outside a migration. */
  get ringNew(): Ring {
    return this.#ringNew;
  }

  get handles(): IterableIterator<NodeHandle> {
    return this.#handles.values();
  }

  handle(nodeId: string): NodeHandle | undefined {
    return this.#handles.get(nodeId);
  }

  isDown(nodeId: string): boolean {
    return this.#handles.get(nodeId)?.down ?? true;
  }

  /** alive | suspect | down (node lists); undefined for a node the registry does not hold. */
  liveness(nodeId: string): NodeLiveness | undefined {
    const h = this.#handles.get(nodeId);
    if (!h) return undefined;
    return h.down ? 'down' : h.viewLiveness === 'suspect' ? 'suspect' : 'alive';
  }

  /**
   * Applies a pulled gossip view (node id → liveness; nodes it does not mention keep their last view). A node the
   * view calls down is down at once; one the view no longer calls down gets a Health probe right away, which
   * closes its circuit if it answers.
   */
  applyView(view: ReadonlyMap<string, NodeLiveness>): void {
    for (const [id, live] of view) {
      const h = this.#handles.get(id);
      if (!h) continue;
      const was = h.viewLiveness;
      h.viewLiveness = live;
      if (live === 'down') {
        if (!h.down) this.#open(h, 'storage node is down (gossip view)');
      } else if (h.down && was === 'down') {
        void this.#probeOne(h);
      }
    }
  }

  #open(h: NodeHandle, why: string, err?: string): void {
    h.down = true;
    h.downSinceMs = Date.now();
    this.#opts.logger.warn({ node: h.record.nodeId, ...(err ? { err } : {}) }, why);
  }

  /** Nodes in a state, e.g. the `normal` count readiness needs. */
  count(pred: (r: StorageNodeRecord) => boolean): number {
    let n = 0;
    for (const h of this.#handles.values()) if (pred(h.record)) n++;
    return n;
  }

  /** Applies the node records of a new epoch: clients for new nodes, closed clients for gone ones, a new ring. */
  update(records: readonly StorageNodeRecord[]): void {
    const seen = new Set<string>();
    for (const r of records) {
      if (r.state === 'removed' || r.state === 'failed') continue;
      seen.add(r.nodeId);
      const address = nodeAddress(r.host, r.port);
      const cur = this.#handles.get(r.nodeId);
      if (cur && cur.address === address) {
        cur.record = r; // same address: keep the client (its pipe) and the liveness state
        continue;
      }
      cur?.client.close();
      this.#handles.set(r.nodeId, { record: r, address, client: this.#opts.clientFactory(address), down: false, consecutiveFailures: 0 });
    }
    for (const [id, h] of this.#handles) {
      if (!seen.has(id)) {
        h.client.close();
        this.#handles.delete(id);
      }
    }
    const ringOf = (states: readonly string[]) =>
      [...this.#handles.values()].filter((h) => states.includes(h.record.state)).map((h) => ({ nodeId: h.record.nodeId, virtualNodes: h.record.virtualNodes }));
    const old = ringOf(['normal', 'leaving']);
    const neu = ringOf(['normal', 'bootstrapping']);
    this.#ring = new Ring(old);
    const same = old.length === neu.length && old.every((n, i) => n.nodeId === neu[i]!.nodeId);
    this.#ringNew = same ? this.#ring : new Ring(neu);
  }

  /** Feeds one RPC result into the node's circuit. */
  observe(nodeId: string, err?: PairdbError): void {
    const h = this.#handles.get(nodeId);
    if (!h) return;
    if (!err) {
      h.consecutiveFailures = 0;
      return;
    }
    if (!isTransportFailure(err)) return;
    h.consecutiveFailures++;
    if (!h.down && h.consecutiveFailures >= this.#threshold) this.#open(h, 'storage node is down (circuit open)', err.message);
  }

  /** Starts the Health probes of down nodes. */
  start(): void {
    if (this.#probeTimer) return;
    this.#probeTimer = setInterval(() => void this.probe(), this.#opts.probeIntervalMs ?? 2000);
    this.#probeTimer.unref();
  }

  stop(): void {
    if (this.#probeTimer) clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    for (const h of this.#handles.values()) h.client.close();
    this.#handles.clear();
    this.#ring = new Ring([]);
    this.#ringNew = this.#ring;
  }

  /** One probe round: every down node gets a Health call; an answer closes its circuit if the view agrees. */
  async probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      await Promise.all([...this.#handles.values()].filter((h) => h.down).map((h) => this.#probeOne(h)));
    } finally {
      this.#probing = false;
    }
  }

  async #probeOne(h: NodeHandle): Promise<void> {
    if (this.#probesInFlight.has(h)) return;
    this.#probesInFlight.add(h);
    try {
      const timeout = this.#opts.probeTimeoutMs ?? 1000;
      try {
        await h.client.health({ requestId: '', deadlineMs: Date.now() + timeout });
      } catch {
        return;
      }
      const cur = this.#handles.get(h.record.nodeId);
      // The view must agree: a node the last view calls down stays down although it answered (cluster.md §10).
      if (cur && cur.client === h.client && cur.down && cur.viewLiveness !== 'down') {
        cur.down = false;
        cur.downSinceMs = undefined;
        cur.consecutiveFailures = 0;
        this.#opts.logger.info({ node: h.record.nodeId }, 'storage node is alive again (circuit closed)');
        this.#opts.onAlive?.(h.record.nodeId);
      }
    } finally {
      this.#probesInFlight.delete(h);
    }
  }
}
