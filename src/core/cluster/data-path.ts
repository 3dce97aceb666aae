import { randomUUID } from 'node:crypto';
import { PairdbError, type Outcome } from '../errors.js';
import type { TenantRecord } from '../metadata/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import { type Clock, counterOf, mergeClocks } from '../model/vector-clock.js';
import { type Version, compareLww } from '../model/version.js';
import { clockToWire, versionFromWire, versionToWire } from '../model/version-wire.js';
import type { RequestContext } from '../rpc/pipe.js';
import type * as pb from '../rpc/types.js';
import { dotActor } from './dot-actor.js';
import { StaleTopologyError } from './topology-fence.js';
import type { Hlc } from './hlc.js';
import { InProcessIdempotency, type IdempotencyOp, requestHash, writeIdOf } from './idempotency.js';
import { type NodeRegistry } from './node-registry.js';
import { type KeyPlacement, MultiQuorum, Placement } from './placement.js';
import { LEVEL_TO_WIRE, type Level, levelFromWire } from './quorum.js';
import { type HintedHandoff, isHintable } from './hinted-handoff.js';
import type { ReadRepairQueue } from './read-repair.js';
import { type Reconciled, type ReplicaReply, findWrite, needsRepair, reconcile } from './reconcile.js';
import { checkIdempotencyKey, checkKey, checkTenantId, checkValue, parseContext } from './validation.js';

/**
 * The client data path of the coordinator: WriteKeyValue (cluster.md §6), ReadKeyValue (§7) and
 * DeleteKeyValue (§8). One function per RPC serves both the unary call and the pipe entry (rpc.md §4a).
 * Replica RPCs travel over each node's storage pipe; nothing here logs per request above debug.
 */

export type ReadRepairMode = 'async' | 'sync' | 'off';

export interface DataPathConfig {
  /** This coordinator's id: its vector-clock actor and the versions' writer_id. */
  readonly nodeId: string;
  readonly replicaTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly readRepair: ReadRepairMode;
  /** A read adds another replica when one has been silent this long (cluster.md §7 step 2). */
  readonly hedgeAfterMs?: number;
}

/** One read-repair job: the reconciled record for one replica. */
export interface RepairJob {
  readonly nodeId: string;
  readonly request: pb.WriteRequest;
  /** A synchronous repair must end before the read's own deadline; a queued one has only `replica-timeout`. */
  readonly deadlineMs?: number;
  /** The read's request id, forwarded by a synchronous repair. */
  readonly requestId?: string;
}

export type OpName = 'write' | 'read' | 'delete';
export type OpResult = 'ok' | 'not_found' | 'quorum_failed' | 'timeout' | 'error';

export interface DataPathDeps {
  readonly config: DataPathConfig;
  readonly registry: NodeRegistry;
  /** Resolves a tenant (cached) or throws TENANT_NOT_FOUND / SERVICE_UNAVAILABLE. */
  readonly tenant: (tenantId: string) => TenantRecord | Promise<TenantRecord>;
  readonly hlc: Hlc;
  readonly idempotency: InProcessIdempotency<object>;
  readonly repairs: ReadRepairQueue<RepairJob>;
  /** Hinted handoff (cluster.md §9); without it failed replica writes are only counted. */
  readonly hints?: HintedHandoff;
  readonly epoch: () => number;
  /**
   * Reloads nodes, epoch and migration from the metadata (cluster.md §4): called when replicas answer STALE_TOPOLOGY,
   * before the one retry. Without it the request is retried as is.
   */
  readonly reloadTopology?: () => Promise<void>;
  /** Placement at the current epoch (rings and running migration); default: the registry's ring, no migration. */
  readonly placement?: () => Placement;
  readonly logger: Logger;
  /** Metrics hook, called once per client operation. */
  readonly observe?: (op: OpName, level: Level, result: OpResult, seconds: number) => void;
  readonly random?: () => number;
}

/** Caller deadlines are capped at 25 s; none means 10 s (cluster.md §6 step 1). */
const MAX_DEADLINE_MS = 25_000;
/** Acks must arrive 50 ms before the request deadline, so the answer can still travel back. */
const ACK_MARGIN_MS = 50;

interface ReadRound {
  readonly replies: ReplicaReply[];
  /** Replicas that answered DATA_LOSS: they do not count and get repaired. */
  readonly corrupt: string[];
}

interface FanOutResult {
  readonly acks: number;
  /** Every ack was DUPLICATE: the write id had landed already; the stored clock merge of the first ack. */
  readonly duplicateClock: pb.VectorClock__Output | null;
}

function resultOf(err: unknown): OpResult {
  const code = err instanceof PairdbError ? err.code : 'INTERNAL_ERROR';
  if (code === 'KEY_NOT_FOUND') return 'not_found';
  if (code === 'QUORUM_NOT_REACHED') return 'quorum_failed';
  if (code === 'TIMEOUT') return 'timeout';
  return 'error';
}

/** Whether a failed replica write certainly did not apply (a definite rejection, or never sent). */
function definitelyNotApplied(err: PairdbError): boolean {
  if (err.outcome) return err.outcome === 'not_applied';
  return err.code !== 'TIMEOUT' && err.code !== 'SERVICE_UNAVAILABLE' && err.code !== 'INTERNAL_ERROR';
}

function toPairdbError(err: unknown): PairdbError {
  return PairdbError.from(err);
}

/** One client write or delete after validation (what #apply needs). */
interface WriteArgs {
  readonly op: IdempotencyOp;
  readonly tenant: TenantRecord;
  readonly key: string;
  readonly value: Buffer;
  readonly level: Level;
  readonly context: Clock | null;
  readonly idemKey: string;
  readonly deadline: number;
  readonly requestId: string;
}

export class DataPath {
  readonly #d: DataPathDeps;
  readonly #self: string;
  /** Per-key turn-taking of siblings-mode writes with a context (see #apply): the tail of each key's chain. */
  readonly #keyLocks = new Map<string, Promise<void>>();
  readonly #random: () => number;
  readonly #hedgeMs: number;
  /** Client operations in flight per topology epoch they started under (the barrier of cluster.md §4 waits on them). */
  readonly #inFlightByEpoch = new Map<number, number>();
  /** A background topology reload started by a STALE_TOPOLOGY reply (one at a time). */
  #staleReload: Promise<void> | undefined;

  constructor(deps: DataPathDeps) {
    this.#d = deps;
    this.#self = deps.config.nodeId;
    this.#random = deps.random ?? Math.random;
    this.#hedgeMs = deps.config.hedgeAfterMs ?? 200;
  }

  // ---------------------------------------------------------------- RPC entry points

  write(req: pb.WriteKeyValueRequest__Output, ctx: RequestContext): Promise<pb.WriteKeyValueResponse> {
    return this.#timed('write', req.consistency, () => this.#write(req, ctx));
  }

  read(req: pb.ReadKeyValueRequest__Output, ctx: RequestContext): Promise<pb.ReadKeyValueResponse> {
    return this.#timed('read', req.consistency, () => this.#read(req, ctx));
  }

  delete(req: pb.DeleteKeyValueRequest__Output, ctx: RequestContext): Promise<pb.DeleteKeyValueResponse> {
    return this.#timed('delete', req.consistency, () => this.#delete(req, ctx));
  }

  /** Client operations still running that started under an epoch below `epoch`. */
  inFlightBelow(epoch: number): number {
    let n = 0;
    for (const [e, c] of this.#inFlightByEpoch) if (e < epoch) n += c;
    return n;
  }

  #timed<T>(op: OpName, consistency: unknown, run: () => Promise<T>): Promise<T> {
    const epoch = this.#d.epoch();
    this.#inFlightByEpoch.set(epoch, (this.#inFlightByEpoch.get(epoch) ?? 0) + 1);
    return this.#observed(op, consistency, run).finally(() => {
      const left = (this.#inFlightByEpoch.get(epoch) ?? 1) - 1;
      if (left === 0) this.#inFlightByEpoch.delete(epoch);
      else this.#inFlightByEpoch.set(epoch, left);
    });
  }

  async #observed<T>(op: OpName, consistency: unknown, run: () => Promise<T>): Promise<T> {
    const observe = this.#d.observe;
    if (!observe) return run();
    const t0 = performance.now();
    let level: Level = 'quorum';
    try {
      level = levelFromWire(consistency);
    } catch {
      // reported as an error below
    }
    try {
      const res = await run();
      observe(op, level, 'ok', (performance.now() - t0) / 1000);
      return res;
    } catch (err) {
      observe(op, level, resultOf(err), (performance.now() - t0) / 1000);
      throw err;
    }
  }

  // ---------------------------------------------------------------- common steps

  async #tenant(id: string): Promise<TenantRecord> {
    const t = this.#d.tenant(id);
    return t instanceof Promise ? await t : t;
  }

  #placement(): Placement {
    const p = this.#d.placement?.();
    if (p) return p;
    const ring = this.#d.registry.ring;
    return new Placement(ring, ring, null);
  }

  /**
   * Placement of a key (cluster.md §1, §3 for the migration phase) plus the fast-fail check: fewer not-down counted
   * replicas than required in a set → QUORUM_NOT_REACHED, nothing sent, outcome not_applied. Writes check every
   * write condition and, when they read first, the read set too.
   */
  #place(tenant: TenantRecord, key: string, level: Level, check: { read: boolean; write: boolean }): KeyPlacement {
    const p = this.#placement().forKey(tenant.tenantId, key, tenant.replicationFactor, level);
    const sets = [...(check.write ? p.writeConditions : []), ...(check.read ? [{ members: p.readSet, need: p.readNeed }] : [])];
    for (const c of sets) {
      let up = 0;
      for (const id of c.members) if (!this.#d.registry.isDown(id)) up++;
      if (up < c.need || c.members.length < c.need) {
        throw new PairdbError('QUORUM_NOT_REACHED', `${c.need} replicas needed, ${up} of ${c.members.length} reachable`, {
          outcome: 'not_applied',
          retryAfterSeconds: 1,
        });
      }
    }
    return p;
  }

  #deadline(ctx: RequestContext): number {
    return Math.min(ctx.deadlineMs, Date.now() + MAX_DEADLINE_MS);
  }

  #shuffledUp(replicas: readonly string[]): string[] {
    const out: string[] = [];
    for (const id of replicas) if (!this.#d.registry.isDown(id)) out.push(id);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /**
   * The read round of cluster.md §7 steps 2–3: Read to `need` random counted, not-down replicas; another unused
   * one joins when one fails or all have been silent for 200 ms; every success counts ("no versions" included),
   * DATA_LOSS does not. Resolves with `need` replies or rejects QUORUM_NOT_REACHED / TIMEOUT (with `outcome`
   * for the write path). Replies that arrive after the answer go to `onLate`.
   */
  #readRound(
    tenantId: string,
    key: string,
    replicas: readonly string[],
    need: number,
    deadlineMs: number,
    requestId: string,
    failOutcome: Outcome | undefined,
    onLate?: (reply: ReplicaReply) => void,
  ): Promise<ReadRound> {
    const registry = this.#d.registry;
    const candidates = this.#shuffledUp(replicas);
    const budget = Math.min(Date.now() + this.#d.config.readTimeoutMs, deadlineMs);
    const request: pb.ReadRequest = { tenant_id: tenantId, key, topology_epoch: this.#d.epoch() };
    return new Promise<ReadRound>((resolve, reject) => {
      const replies: ReplicaReply[] = [];
      const corrupt: string[] = [];
      let next = 0;
      let inFlight = 0;
      let done = false;
      let sawTimeout = false;
      let sawStale = false;
      let timer: NodeJS.Timeout | undefined;

      const finish = (err?: PairdbError): void => {
        done = true;
        if (timer) clearTimeout(timer);
        if (err) reject(err);
        else resolve({ replies, corrupt });
      };
      const checkImpossible = (): void => {
        if (done || replies.length + inFlight + (candidates.length - next) >= need) return;
        const timedOut = sawTimeout && Date.now() >= budget - 5;
        finish(
          timedOut
            ? new PairdbError('TIMEOUT', `read: ${replies.length} of ${need} replicas answered within the deadline`, { outcome: failOutcome })
            : sawStale
              ? new PairdbError('STALE_TOPOLOGY', `read: ${replies.length} of ${need} replicas answered; some fenced topology epoch ${String(request.topology_epoch)}`, { outcome: failOutcome })
              : new PairdbError('QUORUM_NOT_REACHED', `read: ${replies.length} of ${need} replicas answered`, {
                  outcome: failOutcome,
                  retryAfterSeconds: 1,
                }),
        );
      };
      const armHedge = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (next < candidates.length && !done) {
          timer = setTimeout(() => {
            timer = undefined;
            if (!done) {
              launch();
              armHedge();
              checkImpossible();
            }
          }, this.#hedgeMs);
        }
      };
      const launch = (): void => {
        let nodeId: string | undefined;
        let h: ReturnType<NodeRegistry['handle']>;
        while (next < candidates.length) {
          nodeId = candidates[next++]!;
          h = registry.handle(nodeId);
          if (h && !h.down) break;
          h = undefined; // turned down since placement: counts as failed at once
        }
        if (!h || nodeId === undefined) return;
        inFlight++;
        const rpcDeadline = Math.min(Date.now() + this.#d.config.replicaTimeoutMs, budget);
        h.client.read(request, { requestId, deadlineMs: rpcDeadline }).then(
          (res) => {
            inFlight--;
            registry.observe(nodeId);
            let reply: ReplicaReply;
            try {
              reply = replyOf(nodeId, res);
            } catch (err) {
              // A replica answering versions out of the format's limits is treated like a corrupt one.
              this.#d.logger.warn({ node: nodeId, err: (err as Error).message }, 'replica answered an invalid record');
              corrupt.push(nodeId);
              if (!done) {
                launch();
                checkImpossible();
              }
              return;
            }
            if (done) {
              onLate?.(reply);
              return;
            }
            replies.push(reply);
            if (replies.length >= need) finish();
          },
          (e: unknown) => {
            inFlight--;
            const err = toPairdbError(e);
            registry.observe(nodeId, err);
            if (err.code === 'CHECKSUM_MISMATCH') corrupt.push(nodeId);
            if (err.code === 'TIMEOUT') sawTimeout = true;
            if (err.code === 'STALE_TOPOLOGY') {
              sawStale = true;
              this.#staleReply(err);
            }
            if (done) return;
            launch();
            armHedge();
            checkImpossible();
          },
        );
      };

      if (candidates.length < need) {
        finish(new PairdbError('QUORUM_NOT_REACHED', `read: ${need} replicas needed, ${candidates.length} reachable`, { outcome: failOutcome, retryAfterSeconds: 1 }));
        return;
      }
      for (let i = 0; i < need; i++) launch();
      checkImpossible();
      armHedge();
    });
  }

  /**
   * Write fan-out (cluster.md §6 steps 7–11): the record goes to every replica in parallel; the promise
   * settles as soon as `need` acks arrived (early return: the other RPCs run on in the background) or once all
   * replies are in and `need` is out of reach.
   */
  #fanOut(placement: KeyPlacement, request: pb.WriteRequest, deadlineMs: number, requestId: string): Promise<FanOutResult> {
    const replicas = placement.writeTargets;
    const registry = this.#d.registry;
    const now = Date.now();
    const ackDeadline = Math.min(now + this.#d.config.writeTimeoutMs, deadlineMs - ACK_MARGIN_MS);
    const rpcDeadline = Math.min(now + this.#d.config.replicaTimeoutMs, ackDeadline);
    const tracker = new MultiQuorum(placement.writeConditions, replicas.length);
    return new Promise<FanOutResult>((resolve, reject) => {
      let done = false;
      let anyAck = false;
      let allDefinite = true;
      let siblingLimit: PairdbError | undefined;
      let timedOut = false;
      let stale = false;
      let duplicates = 0;
      let firstClock: pb.VectorClock__Output | null = null;

      // Hints (cluster.md §9): targets that failed before the answer are collected and hinted only if the write may
      // have happened (acked, or outcome unknown) — a write answered `not_applied` must never arrive later — and
      // those hints are durable before the answer (§6 step 9). Failures after the answer are hinted at once.
      const owed: string[] = [];
      const store = (nodeIds: readonly string[]): Promise<void> => {
        const hints = this.#d.hints;
        if (!hints || !request.record || nodeIds.length === 0) return Promise.resolve();
        return Promise.all(
          nodeIds.map((nodeId) =>
            hints.hint(nodeId, request.record!).catch((err: unknown) => {
              this.#d.logger.error({ err, node: nodeId }, 'could not store a hint: the replica needs repair');
            }),
          ),
        ).then(() => undefined);
      };
      const hint = (nodeId: string): void => {
        if (done) void store([nodeId]);
        else owed.push(nodeId);
      };
      const settle = (): void => {
        if (done) return;
        const state = tracker.state;
        if (state === 'success') {
          done = true;
          const result = { acks: tracker.acks, duplicateClock: duplicates === tracker.acks ? firstClock : null };
          void store(owed).then(() => resolve(result));
          return;
        }
        if (!tracker.settled) return;
        done = true;
        const outcome: Outcome = !anyAck && allDefinite ? 'not_applied' : 'unknown';
        if (outcome === 'unknown') void store(owed);
        if (siblingLimit) {
          reject(new PairdbError('SIBLING_LIMIT_EXCEEDED', siblingLimit.message, { outcome }));
        } else if (stale) {
          // The caller reloads its topology and retries once (cluster.md §4).
          reject(new PairdbError('STALE_TOPOLOGY', `write: ${tracker.acks} of ${replicas.length} replicas acknowledged; some fenced topology epoch ${String(request.topology_epoch)}`, { outcome }));
        } else if (timedOut && rpcDeadline === ackDeadline) {
          reject(new PairdbError('TIMEOUT', `write: ${tracker.acks} acks within the deadline, quorum not reached`, { outcome: 'unknown' }));
        } else {
          reject(new PairdbError('QUORUM_NOT_REACHED', `write: ${tracker.acks} of ${replicas.length} replicas acknowledged, quorum not reached`, { outcome, retryAfterSeconds: 1 }));
        }
      };

      for (const nodeId of replicas) {
        const h = registry.handle(nodeId);
        if (!h || h.down) {
          // Down replicas get no RPC and are hinted at once.
          if (h) hint(nodeId);
          tracker.fail(nodeId);
          continue;
        }
        h.client.write(request, { requestId, deadlineMs: rpcDeadline }).then(
          (res) => {
            registry.observe(nodeId);
            anyAck = true;
            if (res.outcome === 'OUTCOME_DUPLICATE') {
              duplicates++;
              firstClock ??= res.current_clock;
            }
            tracker.ack(nodeId);
            settle();
          },
          (e: unknown) => {
            const err = toPairdbError(e);
            registry.observe(nodeId, err);
            if (!definitelyNotApplied(err)) allDefinite = false;
            if (err.code === 'SIBLING_LIMIT_EXCEEDED') siblingLimit = err;
            if (err.code === 'TIMEOUT') timedOut = true;
            if (err.code === 'STALE_TOPOLOGY') {
              stale = true;
              this.#staleReply(err);
            }
            if (isHintable(err)) hint(nodeId);
            if (done) {
              this.#d.logger.debug({ node: nodeId, code: err.code }, 'replica write failed after the answer');
            }
            tracker.fail(nodeId);
            settle();
          },
        );
      }
      settle();
    });
  }

  /**
   * Read repair (cluster.md §7 step 6) of `nodeIds` with the reconciled result, tombstones included. Async mode
   * queues the jobs; sync mode sends them at once and the returned promise settles when all answered, within the
   * read's deadline (`readDeadlineMs`; none for late replies, whose repair nobody awaits, so it is queued). Every
   * repair is counted in pairdb_coordinator_read_repairs_total; failures are not hinted.
   */
  #repair(nodeIds: Iterable<string>, tenantId: string, key: string, result: Reconciled, readDeadlineMs: number | undefined, requestId = ''): Promise<void> | undefined {
    const mode = this.#d.config.readRepair;
    if (mode === 'off' || result.versions.length === 0) return undefined;
    const request: pb.WriteRequest = {
      record: { tenant_id: tenantId, key, versions: result.versions.map(versionToWire), recent_writes: [] },
      purpose: 'PURPOSE_READ_REPAIR',
      topology_epoch: this.#d.epoch(),
    };
    if (mode === 'async' || readDeadlineMs === undefined) {
      for (const nodeId of nodeIds) this.#d.repairs.offer({ nodeId, request });
      return undefined;
    }
    const deadlineMs = readDeadlineMs - ACK_MARGIN_MS;
    const sends: Promise<unknown>[] = [];
    for (const nodeId of nodeIds) sends.push(this.#d.repairs.sendNow({ nodeId, request, deadlineMs, requestId }));
    return Promise.all(sends).then(() => undefined);
  }

  /** Sends one read-repair job (the queue's workers, and sync mode, call this). */
  sendRepair(job: RepairJob): Promise<void> {
    const h = this.#d.registry.handle(job.nodeId);
    if (!h || h.down) return Promise.reject(new PairdbError('SERVICE_UNAVAILABLE', `read repair: ${job.nodeId} is down`));
    const deadlineMs = Math.min(Date.now() + this.#d.config.replicaTimeoutMs, job.deadlineMs ?? Infinity);
    return h.client.write(job.request, { requestId: job.requestId ?? '', deadlineMs }).then(
      () => undefined,
      (err: unknown) => {
        const e = toPairdbError(err);
        this.#d.logger.debug({ node: job.nodeId, code: e.code }, 'read repair failed');
        throw new PairdbError(e.code, `read repair of ${job.nodeId}: ${e.message}`, { cause: err });
      },
    );
  }

  /**
   * A replica fenced this coordinator's epoch. Even if the request still succeeds with the others, the topology is
   * reloaded in the background so the next requests carry the new epoch (one reload at a time).
   */
  #staleReply(err: PairdbError): void {
    const reload = this.#d.reloadTopology;
    if (!reload || this.#staleReload) return;
    // Replies fenced below an epoch this coordinator already routes with need no reload.
    if (err instanceof StaleTopologyError && err.fenceEpoch <= BigInt(this.#d.epoch())) return;
    this.#staleReload = reload()
      .catch((err: unknown) => this.#d.logger.error({ err }, 'topology reload after a STALE_TOPOLOGY reply failed'))
      .finally(() => {
        this.#staleReload = undefined;
      });
  }

  /**
   * STALE_TOPOLOGY from replicas (cluster.md §4): this coordinator routed with an epoch below their fence. Reload the
   * topology, rebuild the request's inputs (`refresh`, e.g. the tenant after a cache drop) and run it once more; a
   * second STALE_TOPOLOGY becomes SERVICE_UNAVAILABLE. A write's outcome stays `unknown` if the first attempt may have
   * landed (its write_id makes the retry a duplicate there, never a second version).
   */
  async #fenceRetry<A, T>(first: () => Promise<T>, refresh: () => Promise<A>, again: (args: A) => Promise<T>): Promise<T> {
    const startEpoch = this.#d.epoch();
    let firstErr: PairdbError;
    try {
      return await first();
    } catch (err) {
      firstErr = toPairdbError(err);
      if (firstErr.code !== 'STALE_TOPOLOGY') throw err;
    }
    const epoch = this.#d.epoch();
    try {
      // A reload a stale reply started in the background (done or running) serves this retry too.
      if (this.#staleReload) await this.#staleReload;
      else if (this.#d.epoch() === startEpoch) await this.#d.reloadTopology?.();
    } catch (err) {
      throw new PairdbError('SERVICE_UNAVAILABLE', `replicas fenced topology epoch ${epoch} and reloading the topology failed: ${toPairdbError(err).message}`, {
        outcome: firstErr.outcome,
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    this.#d.logger.info({ epoch_before: epoch, epoch: this.#d.epoch() }, 'replicas fenced this coordinator: topology reloaded, retrying once');
    const mayHaveLanded = firstErr.outcome === 'unknown';
    try {
      return await again(await refresh());
    } catch (err) {
      const e = toPairdbError(err);
      const outcome = mayHaveLanded && e.outcome === 'not_applied' ? 'unknown' : e.outcome;
      if (e.code === 'STALE_TOPOLOGY') {
        throw new PairdbError('SERVICE_UNAVAILABLE', `replicas still fence this coordinator after a topology reload (epoch ${this.#d.epoch()}): ${e.message}`, {
          outcome,
          retryAfterSeconds: 1,
          cause: err,
        });
      }
      if (outcome !== e.outcome) throw new PairdbError(e.code, e.message, { outcome, retryAfterSeconds: e.retryAfterSeconds, cause: err });
      throw err;
    }
  }

  // ---------------------------------------------------------------- WriteKeyValue

  async #write(req: pb.WriteKeyValueRequest__Output, ctx: RequestContext): Promise<pb.WriteKeyValueResponse> {
    checkTenantId(req.tenant_id);
    checkKey(req.key);
    checkValue(req.value);
    const level = levelFromWire(req.consistency);
    checkIdempotencyKey(req.idempotency_key);
    const context = parseContext(req.context, Date.now());
    const deadline = this.#deadline(ctx);
    const tenant = await this.#tenant(req.tenant_id);
    return this.#mutation('put', tenant, req.key, req.value, level, context, req.idempotency_key, deadline, ctx.requestId);
  }

  // ---------------------------------------------------------------- DeleteKeyValue

  async #delete(req: pb.DeleteKeyValueRequest__Output, ctx: RequestContext): Promise<pb.DeleteKeyValueResponse> {
    checkTenantId(req.tenant_id);
    checkKey(req.key);
    const level = levelFromWire(req.consistency);
    checkIdempotencyKey(req.idempotency_key);
    const context = parseContext(req.context, Date.now());
    const deadline = this.#deadline(ctx);
    const tenant = await this.#tenant(req.tenant_id);
    const res = await this.#mutation('delete', tenant, req.key, EMPTY, level, context, req.idempotency_key, deadline, ctx.requestId);
    return {
      key: res.key,
      vector_clock: res.vector_clock,
      replica_count: res.replica_count,
      consistency: res.consistency,
      idempotency_key: res.idempotency_key,
      is_duplicate: res.is_duplicate,
      idempotency_bypassed: false,
    };
  }

  /** Steps 3–11 shared by puts and deletes (a delete is a tombstone write whose read step always runs). */
  async #mutation(
    op: IdempotencyOp,
    tenant: TenantRecord,
    key: string,
    value: Buffer,
    level: Level,
    context: Clock | null,
    idempotencyKey: string,
    deadline: number,
    requestId: string,
  ): Promise<pb.WriteKeyValueResponse> {
    const idemKey = idempotencyKey || randomUUID();
    const rid = requestId || randomUUID();
    const scope = InProcessIdempotency.scope(tenant.tenantId, key, idemKey);
    const acquired = await this.#d.idempotency.acquire(scope, requestHash(op, LEVEL_TO_WIRE[level], context, value), deadline);
    if (acquired.kind === 'done') return { ...(acquired.response as pb.WriteKeyValueResponse), is_duplicate: true };
    try {
      const res = await this.#apply({ op, tenant, key, value, level, context, idemKey, deadline, requestId: rid });
      this.#d.idempotency.complete(scope, acquired.owner, res);
      return res;
    } catch (err) {
      this.#d.idempotency.release(scope, acquired.owner);
      throw err;
    }
  }

  async #apply(w: WriteArgs): Promise<pb.WriteKeyValueResponse> {
    const { op, tenant, key, context } = w;
    const siblingsWithContext = context !== null && op === 'put' && tenant.conflictResolution === 'siblings';
    if (!siblingsWithContext) return this.#fenceRetry(() => this.#applyNow(w), async () => ({ ...w, tenant: await this.#tenant(w.tenant.tenantId) }), (x) => this.#applyNow(x));
    // A siblings-mode write with a context reads the key to pick its dot actor (dot-actor.ts). Two such writes racing
    // through this coordinator would both read the same state, pick the same actor, and the later clock would
    // dominate the earlier write — a lost sibling. Writes of one key therefore take turns here (reads and other keys
    // are not held up).
    const lockKey = `${tenant.tenantId}\u0000${key}`;
    const previous = this.#keyLocks.get(lockKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.#keyLocks.set(lockKey, tail);
    await previous;
    try {
      return await this.#fenceRetry(() => this.#applyNow(w), async () => ({ ...w, tenant: await this.#tenant(w.tenant.tenantId) }), (x) => this.#applyNow(x));
    } finally {
      release();
      if (this.#keyLocks.get(lockKey) === tail) this.#keyLocks.delete(lockKey);
    }
  }

  async #applyNow(w: WriteArgs): Promise<pb.WriteKeyValueResponse> {
    const { op, tenant, key, value, level, context, idemKey, deadline, requestId } = w;
    const placement = this.#place(tenant, key, level, { write: true, read: context === null || op === 'delete' || (op === 'put' && tenant.conflictResolution === 'siblings') });
    const writeId = writeIdOf(idemKey);
    const consistency = LEVEL_TO_WIRE[level];
    let base: Clock = context ?? [];
    let actor = this.#self;
    const siblingsWithContext = context !== null && op === 'put' && tenant.conflictResolution === 'siblings';
    if (context === null || op === 'delete' || siblingsWithContext) {
      // Read-modify-write (§6 step 5; a delete always reads, §8): the new clock supersedes every clock read,
      // and a reply holding this write id means a first attempt landed. A siblings-mode write with a context
      // reads too, to pick an actor that keeps the versions its context did not see (dot-actor.ts).
      const round = await this.#readRound(tenant.tenantId, key, placement.readSet, placement.readNeed, deadline, requestId, 'not_applied');
      const seen = reconcile(round.replies, tenant.conflictResolution);
      const prior = findWrite(round.replies, writeId);
      if (prior !== undefined) {
        let holders = 0;
        for (const r of round.replies) if (r.versions.some((v) => v.writeId.equals(writeId)) || r.recentWriteIds?.some((w) => w.equals(writeId))) holders++;
        return {
          key,
          idempotency_key: idemKey,
          vector_clock: clockToWire(prior === true ? seen.context : prior.clock),
          replica_count: holders,
          consistency,
          is_duplicate: true,
          idempotency_bypassed: false,
        };
      }
      if (op === 'delete' && seen.notFound) throw new PairdbError('KEY_NOT_FOUND', `key not found at ${level}`);
      if (siblingsWithContext) actor = dotActor(this.#self, base, seen.versions);
      else base = mergeClocks(base, seen.context);
    }
    const clock = this.#d.hlc.increment(base, actor);
    const version: Version = {
      clock,
      value,
      tombstone: op === 'delete',
      lww: tenant.conflictResolution === 'lww',
      timestampMs: Math.floor(counterOf(clock, actor) / 1000),
      writerId: actor,
      writeId,
    };
    const request: pb.WriteRequest = {
      record: { tenant_id: tenant.tenantId, key, versions: [versionToWire(version)], recent_writes: [] },
      purpose: 'PURPOSE_CLIENT',
      topology_epoch: this.#d.epoch(),
    };
    const acked = await this.#fanOut(placement, request, deadline, requestId);
    return {
      key,
      idempotency_key: idemKey,
      vector_clock: acked.duplicateClock ?? clockToWire(clock),
      replica_count: acked.acks,
      consistency,
      is_duplicate: acked.duplicateClock !== null,
      idempotency_bypassed: false,
    };
  }

  // ---------------------------------------------------------------- ReadKeyValue

  async #read(req: pb.ReadKeyValueRequest__Output, ctx: RequestContext): Promise<pb.ReadKeyValueResponse> {
    checkTenantId(req.tenant_id);
    checkKey(req.key);
    const level = levelFromWire(req.consistency);
    const deadline = this.#deadline(ctx);
    const requestId = ctx.requestId || randomUUID();
    const tenant = await this.#tenant(req.tenant_id);
    return this.#fenceRetry(
      () => this.#readOnce(req, tenant, level, deadline, requestId),
      () => this.#tenant(req.tenant_id),
      (t) => this.#readOnce(req, t, level, deadline, requestId),
    );
  }

  async #readOnce(req: pb.ReadKeyValueRequest__Output, tenant: TenantRecord, level: Level, deadline: number, requestId: string): Promise<pb.ReadKeyValueResponse> {
    const placement = this.#place(tenant, req.key, level, { read: true, write: false });
    let result: Reconciled | undefined;
    const late = (reply: ReplicaReply): void => {
      // Late replies only feed repair (§7 step 6).
      if (result && needsRepair(reply.versions, result.versions)) void this.#repair([reply.nodeId], tenant.tenantId, req.key, result, undefined);
    };
    const round = await this.#readRound(tenant.tenantId, req.key, placement.readSet, placement.readNeed, deadline, requestId, undefined, late);
    result = reconcile(round.replies, tenant.conflictResolution);
    const stale: string[] = [...round.corrupt];
    for (const r of round.replies) if (needsRepair(r.versions, result.versions)) stale.push(r.nodeId);
    if (stale.length > 0) {
      const pending = this.#repair(stale, tenant.tenantId, req.key, result, deadline, requestId);
      if (pending) await pending;
    }
    if (result.notFound) throw new PairdbError('KEY_NOT_FOUND', `key not found at ${level}`);
    const winner = result.winner!;
    return {
      key: req.key,
      value: winner.value,
      vector_clock: clockToWire(result.context),
      siblings: result.live.length > 1 ? siblingsOf(result) : [],
      timestamp_ms: winner.timestampMs,
      replica_count: round.replies.length,
    };
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Siblings of a read with more than one live version: every maximal version, greatest LWW rank first; a
 * tombstone among them travels with an empty value (http-api.md §4.3 shows it as `{"deleted":true,…}`).
 */
function siblingsOf(result: Reconciled): pb.Sibling[] {
  const all = [...result.versions].sort((a, b) => compareLww(b, a));
  return all.map((v) => ({ value: v.tombstone ? EMPTY : v.value, vector_clock: clockToWire(v.clock), timestamp_ms: v.timestampMs }));
}

/** Decodes a storage Read answer; throws INVALID_REQUEST on versions outside the format's limits. */
function replyOf(nodeId: string, res: pb.ReadResponse__Output): ReplicaReply {
  const record = res.record;
  if (!res.found || !record || record.versions.length === 0) {
    return { nodeId, versions: [], recentWriteIds: record?.recent_writes.map((w) => w.write_id) };
  }
  return {
    nodeId,
    versions: record.versions.map(versionFromWire),
    recentWriteIds: record.recent_writes.length > 0 ? record.recent_writes.map((w) => w.write_id) : undefined,
  };
}
