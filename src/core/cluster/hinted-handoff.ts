import type { Logger } from '../observability/logger.js';
import { PairdbError } from '../errors.js';
import { versionFromWire, versionToWire } from '../model/version-wire.js';
import type * as pb from '../rpc/types.js';
import type { HintStore } from './file-hint-store.js';
import type { NodeRegistry } from './node-registry.js';
import { sleep } from '../sleep.js';

/**
 * Hinted handoff (cluster.md §9): replica writes that failed (or went to a `down` node) become hints in the durable
 * HintStore; they are replayed to their target with BatchWrite(HINT) — ≤ 100 per batch, in hint-id order, one batch
 * in flight per target — when the target turns alive, and by a sweep every 10 s. A delivered batch advances the
 * store's cursor; a failed one backs the target off 1 s doubling to 60 s. Expired hints are dropped every 10 min.
 */

export interface HintedHandoffOptions {
  readonly store: HintStore;
  readonly registry: NodeRegistry;
  readonly logger: Logger;
  readonly sweepMs?: number;
  /** max_hint_window (default 3 h); the store's expiry uses the same value. */
  readonly windowMs?: number;
  readonly expireEveryMs?: number;
  readonly now?: () => number;
}

/** gRPC statuses whose failed replica writes are hinted (cluster.md §6 step 9); other codes are only logged. */
const HINTED_GRPC = new Set([14 /* UNAVAILABLE */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 13 /* INTERNAL */]);

export function isHintable(err: PairdbError): boolean {
  return HINTED_GRPC.has(err.grpcCode);
}

const BATCH = 100;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export class HintedHandoff {
  readonly #o: HintedHandoffOptions;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #inFlight = new Set<string>();
  readonly #backoff = new Map<string, { untilMs: number; ms: number }>();
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  delivered = 0;
  /** Metrics hook (coordinator_hints_{written,replayed,expired}_total{node}). */
  onEvent: ((kind: 'written' | 'replayed' | 'expired' | 'skipped', node: string, n: number) => void) | undefined;

  constructor(opts: HintedHandoffOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#windowMs = opts.windowMs ?? 3 * 3_600_000;
  }

  /**
   * Stores a hint of `record` for `target`; resolves once durable. A target down for longer than the hint window gets
   * no new hints (§9: it needs repair, its old hints are expiring anyway).
   */
  hint(target: string, record: pb.KeyRecord): Promise<void> {
    const since = this.#o.registry.handle(target)?.downSinceMs;
    if (since !== undefined && this.#now() - since > this.#windowMs) {
      this.onEvent?.('skipped', target, 1);
      return Promise.resolve();
    }
    return this.#o.store
      .append([
      {
        targetNodeId: target,
        tenantId: record.tenant_id ?? '',
        key: record.key ?? '',
        versions: (record.versions ?? []).map((v) => versionFromWire(v as pb.Version__Output)),
      },
    ])
      .then(() => this.onEvent?.('written', target, 1));
  }

  start(): void {
    const sweep = setInterval(() => this.sweep(), this.#o.sweepMs ?? 10_000);
    sweep.unref();
    const expire = setInterval(() => {
      void this.discardGone();
      this.#o.store.expire().then(
        (gone) => {
          for (const [node, n] of gone) {
            this.onEvent?.('expired', node, n);
            this.#o.logger.warn({ node, expired: n }, 'hints expired before delivery: the node needs repair');
          }
        },
        (err: unknown) => this.#o.logger.error({ err }, 'hint expiry failed'),
      );
    }, this.#o.expireEveryMs ?? 600_000);
    expire.unref();
    this.#timers = [sweep, expire];
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
  }

  /** Hints for nodes no longer in the topology (removed or failed) are dropped (cluster.md §9 expiry). */
  async discardGone(): Promise<void> {
    for (const [target, n] of this.#o.store.counts()) {
      if (n === 0 || this.#o.registry.handle(target)) continue;
      try {
        const gone = await this.#o.store.discard(target);
        if (gone > 0) {
          this.onEvent?.('expired', target, gone);
          this.#o.logger.info({ node: target, hints: gone }, 'dropped the hints of a node that left the ring');
        }
      } catch (err) {
        this.#o.logger.error({ err, node: target }, 'dropping the hints of a removed node failed');
      }
    }
  }

  /** Every alive target with undelivered hints gets a delivery run (the 10 s sweep). */
  sweep(): void {
    for (const [target, n] of this.#o.store.counts()) if (n > 0) this.kick(target);
  }

  /** A delivery run for `target` unless one is running, it is down, or it is backing off. */
  kick(target: string): void {
    if (this.#stopped || this.#inFlight.has(target)) return;
    const h = this.#o.registry.handle(target);
    if (!h || h.down || !h.client.batchWrite) return;
    const b = this.#backoff.get(target);
    if (b && this.#now() < b.untilMs) return;
    this.#inFlight.add(target);
    this.#deliver(target).finally(() => this.#inFlight.delete(target));
  }

  /**
   * Delivers hints for `target` until none remain (a migration's hint_replay phase, cluster.md §11.3); waits while the
   * target is down or backing off, until `signal` aborts.
   */
  async drain(target: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && (this.#o.store.counts().get(target) ?? 0) > 0) {
      this.kick(target);
      await sleep(200, signal);
    }
  }

  async #deliver(target: string): Promise<void> {
    const log = this.#o.logger;
    try {
      for (;;) {
        if (this.#stopped) return;
        const h = this.#o.registry.handle(target);
        if (!h || h.down || !h.client.batchWrite) return;
        const hints = await this.#o.store.pending(target, BATCH);
        if (hints.length === 0) return;
        await h.client.batchWrite(
          [
            {
              batch_seq: '1',
              purpose: 'PURPOSE_HINT',
              stream_id: '',
              records: hints.map((x) => ({ tenant_id: x.tenantId, key: x.key, versions: x.versions.map(versionToWire), recent_writes: [] })),
            },
          ],
          { requestId: '', deadlineMs: this.#now() + 30_000 },
        );
        await this.#o.store.delivered(target, hints[hints.length - 1]!.hintId);
        this.delivered += hints.length;
        this.onEvent?.('replayed', target, hints.length);
        this.#backoff.delete(target);
        log.debug({ target, hints: hints.length }, 'delivered hints');
      }
    } catch (err) {
      const prev = this.#backoff.get(target)?.ms ?? 0;
      const ms = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, prev * 2));
      this.#backoff.set(target, { untilMs: this.#now() + ms, ms });
      log.warn({ err: PairdbError.from(err), target, retry_ms: ms }, 'hint delivery failed; backing off');
    }
  }
}
