import { randomUUID } from 'node:crypto';
import { PairdbError } from '../errors.js';
import {
  type MetadataStore,
  type MigrationGuard,
  type MigrationPhaseName,
  type MigrationRecord,
  type MigrationTaskRecord,
  type MigrationType,
  type StorageNodeRecord,
  type TenantRecord,
  listAllTenants,
} from '../metadata/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import { sleep } from '../sleep.js';
import type * as pb from '../rpc/types.js';
import { type PlannedTask, planMigration, rangesFromJson, rangesToJson, replicaFreeRanges } from './migration-plan.js';
import type { NodeRegistry } from './node-registry.js';
import { reconcileRanges } from './repair-runner.js';
import { Ring } from './ring.js';

/**
 * The migration driver (cluster.md §11.3–§11.5): runs queued topology changes one at a time through prepare →
 * streaming → handover_write → hint_replay → handover_read → done, persisting every phase change (with epoch + 1) and
 * every task checkpoint, so a restarted coordinator resumes where the last one stopped. Rolls back on error, timeout
 * or cancel before handover_read; cleans up losers' copies after the grace period.
 *
 * Embedded metadata means one coordinator: the advisory lock of §11.3 is the process itself, and driver_generation
 * grows once per process start that finds a migration in progress.
 */

export interface MigrationDriverDeps {
  readonly store: MetadataStore;
  readonly registry: NodeRegistry;
  /** Reloads nodes, epoch and the running migration into the data path's placement. */
  readonly reload: () => Promise<void>;
  /** Barrier(E) of §4: resolves once no client request that started under an epoch below E is still running. */
  readonly barrier: (epoch: number) => Promise<void>;
  /** Delivers every pending hint for `target` (the hint_replay phase); resolves once none remain. */
  readonly drainHints?: (target: string, signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
  readonly nowMs?: () => number;
  /** GetStreamStatus poll interval (§11.4: 2 s). */
  readonly pollMs?: number;
  /** deadline_at = start + this (§11.3: 1 h). */
  readonly timeoutMs?: number;
  /** cleanup_after = completion + this (§11.5: 24 h). */
  readonly cleanupGraceMs?: number;
  /** A stream source down this long is replaced by the other alive replicas (§11.4 step 3: 60 s). */
  readonly sourceReplaceAfterMs?: number;
  /** Records per stream batch (0 = the source's default). */
  readonly streamBatchSize?: number;
  /** Metrics hook: `n` more keys migrated (coordinator_migration_keys_total{type}). */
  readonly onKeysMigrated?: (type: MigrationType, n: number) => void;
}

const STREAM_RPC_MS = 5_000;
/** rpc.md StartStreaming: a source refuses a 5th outgoing stream. */
const STREAMS_PER_SOURCE = 4;
const RESTART_BACKOFF_MIN_MS = 1_000;
const RESTART_BACKOFF_MAX_MS = 30_000;
const ACTIVE_STREAM_STATES = new Set(['STREAM_COUNTING', 'STREAM_STREAMING']);

class LostOwnership extends Error {}

/** What `m` must still be in the store for this driver's write to apply (§11.3: generation and phase, plus status). */
const guardOf = (m: MigrationRecord): MigrationGuard => ({ driverGeneration: m.driverGeneration, phase: m.phase, status: m.status });
class Cancelled extends Error {}

export function newMigrationRecord(
  type: MigrationType,
  fields: { nodeId?: string; tenantId?: string; oldRf?: number; newRf?: number; force?: boolean },
  nowMs: number,
): MigrationRecord {
  return {
    migrationId: `mig-${randomUUID()}`,
    type,
    nodeId: fields.nodeId ?? null,
    tenantId: fields.tenantId ?? null,
    oldRf: fields.oldRf ?? null,
    newRf: fields.newRf ?? null,
    status: 'pending',
    phase: 'prepare',
    force: fields.force ?? false,
    rfGroups: null,
    maxRf: null,
    keysMigrated: 0,
    totalKeys: 0,
    driverGeneration: 0,
    errorMessage: null,
    cleanup: [],
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    deadlineAtMs: null,
    startedAtMs: null,
    completedAtMs: null,
    cleanupAfterMs: null,
    cleanedUpAtMs: null,
    tasks: [],
  };
}

function ringOf(nodes: readonly StorageNodeRecord[], states: readonly string[]): Ring {
  return new Ring(nodes.filter((n) => states.includes(n.state)).map((n) => ({ nodeId: n.nodeId, virtualNodes: n.virtualNodes })));
}

export class MigrationDriver {
  readonly #d: MigrationDriverDeps;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  /** Migrations this process took over (driver_generation bumped once per process). */
  readonly #owned = new Set<string>();
  /** A RemoveStorageNode asked to cancel this running addition. */
  readonly #cancelRequested = new Set<string>();

  constructor(deps: MigrationDriverDeps) {
    this.#d = deps;
    this.#now = deps.nowMs ?? Date.now;
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), 1_000);
    this.#timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }

  /** Looks for work now (a migration was queued, or the periodic check). */
  kick(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#tick()
      .catch((err: unknown) => this.#d.logger.error({ err }, 'migration driver failed; retrying'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          setTimeout(() => this.kick(), 100).unref();
        }
      });
  }

  /** Asks the driver to roll back a running addition (RemoveStorageNode of a bootstrapping node). */
  requestCancel(migrationId: string): void {
    this.#cancelRequested.add(migrationId);
  }

  async #tick(): Promise<void> {
    const migrations = await this.#d.store.listMigrations();
    let m = migrations.find((x) => x.status === 'in_progress') ?? migrations.find((x) => x.status === 'pending');
    if (!m) {
      await this.#cleanup(migrations);
      return;
    }
    if (!this.#owned.has(m.migrationId) && m.status === 'in_progress') {
      // A migration another run of this coordinator was driving: take it over (§11.3 resume).
      const next = { ...m, driverGeneration: m.driverGeneration + 1, updatedAtMs: this.#now() };
      if (!(await this.#d.store.updateMigration(next, guardOf(m)))) return;
      this.#d.logger.info({ migration: m.migrationId, phase: m.phase, generation: next.driverGeneration }, 'resuming migration');
      m = next;
    }
    this.#owned.add(m.migrationId);
    try {
      await this.#drive(m);
    } catch (err) {
      if (err instanceof LostOwnership) {
        this.#d.logger.warn({ migration: m.migrationId }, 'lost ownership of the migration; stopping');
        return;
      }
      if (this.#abort.signal.aborted) return;
      throw err;
    }
  }

  // ------------------------------------------------------------------ phases

  async #drive(start: MigrationRecord): Promise<void> {
    let m = start;
    if (m.status === 'pending') {
      const started = await this.#start(m);
      if (!started) return;
      m = started;
    }
    try {
      while (m.status === 'in_progress' && !this.#abort.signal.aborted) {
        this.#checkDeadline(m);
        switch (m.phase) {
          case 'prepare':
            m = await this.#advance(m, 'streaming');
            break;
          case 'streaming':
            m = await this.#stream(m);
            m = await this.#advance(m, 'handover_write');
            break;
          case 'handover_write':
            m = await this.#advance(m, 'hint_replay');
            break;
          case 'hint_replay':
            await this.#replayHints(m);
            m = await this.#advance(m, 'handover_read');
            break;
          case 'handover_read':
            m = await this.#finish(m);
            break;
          case 'done':
            return;
        }
      }
    } catch (err) {
      if (err instanceof LostOwnership || this.#abort.signal.aborted) throw err;
      const cur = (await this.#d.store.getMigration(m.migrationId)) ?? m;
      if (cur.phase === 'handover_read' || cur.phase === 'done') {
        // From handover_read on a migration only rolls forward: retry on the next tick.
        throw err;
      }
      const cancelled = err instanceof Cancelled;
      const message = cancelled ? 'cancelled' : err instanceof PairdbError && err.code === 'TIMEOUT' ? 'timeout' : PairdbError.from(err).message;
      await this.#rollback(cur, cancelled, message);
    }
  }

  #checkDeadline(m: MigrationRecord): void {
    if (this.#cancelRequested.has(m.migrationId) && m.phase !== 'handover_read' && m.phase !== 'done') throw new Cancelled();
    if (m.deadlineAtMs !== null && this.#now() > m.deadlineAtMs && m.phase !== 'handover_read' && m.phase !== 'done') {
      throw new PairdbError('TIMEOUT', 'timeout');
    }
  }

  /** Commits `next` (epoch + 1) if this driver still owns `m` in its phase, then reloads and runs the barrier. */
  async #commit(m: MigrationRecord, next: MigrationRecord, extra: { nodes?: StorageNodeRecord[]; tenants?: TenantRecord[] } = {}): Promise<MigrationRecord> {
    const epoch = await this.#d.store.commitTopologyChange({
      migrations: [next],
      nodes: extra.nodes,
      tenants: extra.tenants,
      expect: [{ migrationId: m.migrationId, ...guardOf(m) }],
    });
    if (epoch < 0) throw new LostOwnership();
    await this.#d.reload();
    await this.#d.barrier(epoch);
    return next;
  }

  #advance(m: MigrationRecord, phase: MigrationPhaseName): Promise<MigrationRecord> {
    this.#d.logger.info({ migration: m.migrationId, from: m.phase, to: phase }, 'migration phase');
    return this.#commit(m, { ...m, phase, updatedAtMs: this.#now() });
  }

  /** §11.1 Start: re-validate, apply the state change, freeze rf_groups and R_max, build the tasks, epoch + 1. */
  async #start(m: MigrationRecord): Promise<MigrationRecord | undefined> {
    const now = this.#now();
    const nodes = await this.#d.store.listStorageNodes();
    const tenants = await listAllTenants(this.#d.store);
    const fail = async (msg: string): Promise<undefined> => {
      this.#d.logger.warn({ migration: m.migrationId, reason: msg }, 'migration failed validation at start');
      await this.#d.store.commitTopologyChange({
        migrations: [{ ...m, status: 'failed', errorMessage: msg, updatedAtMs: now, completedAtMs: now }],
        expect: [{ migrationId: m.migrationId, ...guardOf(m) }],
      });
      await this.#d.reload();
      return undefined;
    };
    const node = m.nodeId ? nodes.find((n) => n.nodeId === m.nodeId) : undefined;
    const normal = nodes.filter((n) => n.state === 'normal');
    let changedNodes: StorageNodeRecord[] = [];
    let changedTenants: TenantRecord[] = [];
    let newNodes = nodes;
    const rfGroups = new Map<number, string[]>();
    let rfChange: { oldRf: number; newRf: number } | undefined;
    for (const t of tenants) {
      const rf = t.tenantId === m.tenantId && m.oldRf !== null && m.newRf !== null ? Math.max(m.oldRf, m.newRf) : t.replicationFactor;
      rfGroups.set(rf, [...(rfGroups.get(rf) ?? []), t.tenantId]);
    }
    const rMax = Math.max(0, ...rfGroups.keys());
    if (m.type === 'node_addition') {
      if (!node || (node.state !== 'removed' && node.state !== 'failed')) return fail(`node ${m.nodeId} is not waiting to join`);
      const upd = { ...node, state: 'bootstrapping' as const, updatedAtMs: now, stateChangedAtMs: now };
      changedNodes = [upd];
      newNodes = nodes.map((n) => (n.nodeId === upd.nodeId ? upd : n));
    } else if (m.type === 'node_removal') {
      if (!node || node.state !== 'normal') return fail(`node ${m.nodeId} is not normal`);
      if (!m.force && normal.length - 1 < rMax) return fail(`NODE_IN_USE: ${normal.length - 1} normal nodes would remain, below the replication factor ${rMax}`);
      const upd = { ...node, state: 'leaving' as const, updatedAtMs: now, stateChangedAtMs: now };
      changedNodes = [upd];
      newNodes = nodes.map((n) => (n.nodeId === upd.nodeId ? upd : n));
    } else {
      const t = tenants.find((x) => x.tenantId === m.tenantId);
      if (!t) return fail(`tenant ${m.tenantId} no longer exists`);
      const eligible = nodes.filter((n) => n.state === 'normal' || n.state === 'bootstrapping').length;
      if (m.newRf! > eligible) return fail(`replication factor ${m.newRf} exceeds the ${eligible} nodes`);
      changedTenants = [{ ...t, replicationFactor: m.newRf!, updatedAtMs: now, version: t.version + 1 }];
      rfChange = { oldRf: m.oldRf!, newRf: m.newRf! };
      rfGroups.clear();
      rfGroups.set(Math.max(m.oldRf!, m.newRf!), [t.tenantId]);
    }
    const ringOld = ringOf(newNodes, ['normal', 'leaving']);
    const ringNew = ringOf(newNodes, ['normal', 'bootstrapping']);
    const plan = planMigration({ ringOld, ringNew, rfGroups, rfChange, isAlive: (id) => !this.#d.registry.isDown(id) });
    const tasks: MigrationTaskRecord[] = plan.tasks.map((t, i) => this.#taskRecord(t, i + 1, now));
    const started: MigrationRecord = {
      ...m,
      status: 'in_progress',
      phase: 'prepare',
      rfGroups: Object.fromEntries([...rfGroups].map(([rf, ids]) => [String(rf), ids])),
      maxRf: rMax > 0 ? rMax : null,
      keysMigrated: 0,
      totalKeys: 0,
      cleanup: plan.cleanup.map((c) => ({ nodeId: c.nodeId, ranges: rangesToJson(c.ranges), tenantIds: c.tenantIds })),
      startedAtMs: now,
      deadlineAtMs: now + (this.#d.timeoutMs ?? 3_600_000),
      updatedAtMs: now,
      tasks,
    };
    this.#d.logger.info({ migration: m.migrationId, type: m.type, node: m.nodeId, tenant: m.tenantId, tasks: tasks.length }, 'migration started');
    return this.#commit(m, started, { nodes: changedNodes, tenants: changedTenants });
  }

  #taskRecord(t: PlannedTask, taskId: number, now: number): MigrationTaskRecord {
    return {
      taskId,
      kind: t.kind,
      sourceNodeId: t.source,
      targetNodeId: t.target,
      ranges: rangesToJson(t.ranges),
      tenantIds: t.tenantIds,
      state: 'pending',
      attempts: 0,
      keysTotal: 0,
      keysStreamed: 0,
      bytesStreamed: 0,
      checkpointTenant: null,
      checkpointKey: null,
      updatedAtMs: now,
    };
  }

  // ------------------------------------------------------------------ streaming

  /** Runs every task to completion (§11.4), persisting counters and checkpoints after each poll. */
  async #stream(start: MigrationRecord): Promise<MigrationRecord> {
    let m = start;
    const tasks = new Map(m.tasks.map((t) => [t.taskId, t]));
    /** Tasks whose keys_total is known (their stream left COUNTING, or a repair task finished). */
    const counted = new Set<number>();
    let dirty = false;
    const save = async (): Promise<void> => {
      if (!dirty) return;
      dirty = false;
      const list = [...tasks.values()];
      // Progress must never go back (§16 invariant 13). A task that has not finished counting has no keys_total yet,
      // so while one waits or counts the published totals stay where they were: the percentage stalls, never drops.
      const waiting = list.some((t) => t.state !== 'completed' && t.state !== 'failed' && !counted.has(t.taskId));
      const next: MigrationRecord = {
        ...m,
        tasks: list,
        keysMigrated: waiting ? m.keysMigrated : list.reduce((n, t) => n + t.keysStreamed, 0),
        totalKeys: waiting ? m.totalKeys : list.reduce((n, t) => n + Math.max(t.keysTotal, t.keysStreamed), 0),
        updatedAtMs: this.#now(),
      };
      if (!(await this.#d.store.updateMigration(next, guardOf(m)))) throw new LostOwnership();
      if (next.keysMigrated > m.keysMigrated) this.#d.onKeysMigrated?.(m.type, next.keysMigrated - m.keysMigrated);
      m = next;
    };
    const update = (t: MigrationTaskRecord): void => {
      tasks.set(t.taskId, { ...t, updatedAtMs: this.#now() });
      dirty = true;
    };
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    // Sources run at most four streams at once (they refuse a fifth); the driver is their only client.
    const perSource = new Map<string, number>();
    const running = new Set<Promise<void>>();
    let failure: unknown;
    const launch = (taskId: number): void => {
      const run = async (): Promise<void> => {
        const t0 = tasks.get(taskId)!;
        const src = t0.kind === 'stream' ? t0.sourceNodeId! : '';
        while ((perSource.get(src) ?? 0) >= STREAMS_PER_SOURCE && !stop.signal.aborted) await sleep(200, stop.signal);
        perSource.set(src, (perSource.get(src) ?? 0) + 1);
        try {
          if (t0.kind === 'repair') return await this.#runRepairTask(m, () => tasks.get(taskId)!, update, stop.signal);
          const outcome = await this.#runStreamTask(m, () => tasks.get(taskId)!, update, stop.signal, () => counted.add(taskId));
          if (outcome === 'replace') for (const id of this.#replaceSource(tasks, taskId, update)) launch(id);
        } finally {
          perSource.set(src, (perSource.get(src) ?? 1) - 1);
        }
      };
      const p: Promise<void> = run()
        .catch((err: unknown) => {
          failure ??= err;
          stop.abort();
        })
        .finally(() => running.delete(p));
      running.add(p);
    };
    // A task `failed` here was replaced by other sources (#replaceSource); its replacements are tasks of their own.
    for (const t of tasks.values()) if (t.state !== 'completed' && t.state !== 'failed') launch(t.taskId);
    const all = (async () => {
      while (running.size > 0) await Promise.race(running);
    })();
    let finished = false;
    void all.finally(() => (finished = true));
    try {
      while (!finished) {
        await Promise.race([all, sleep(this.#d.pollMs ?? 2_000)]);
        await save();
        try {
          this.#checkDeadline(m);
        } catch (err) {
          failure ??= err;
          stop.abort();
        }
      }
      await all;
      dirty = true;
      await save();
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw failure;
    if (this.#abort.signal.aborted) throw new LostOwnership();
    return m;
  }

  async #runStreamTask(
    m: MigrationRecord,
    cur: () => MigrationTaskRecord,
    update: (t: MigrationTaskRecord) => void,
    signal: AbortSignal,
    onCounted: () => void,
  ): Promise<'done' | 'replace'> {
    const streamId = `${m.migrationId}/${cur().taskId}`;
    let sourceDownSince: number | undefined;
    let backoff = RESTART_BACKOFF_MIN_MS;
    let restart = true;
    // A source counts a resumed stream as a whole task: keys up to `resume_after` are already streamed and keys_total
    // is every match of the spec, so its counters replace ours. Bytes are per attempt and add up.
    let baseBytes = cur().bytesStreamed;
    while (!signal.aborted) {
      const t = cur();
      const src = this.#d.registry.handle(t.sourceNodeId!);
      const dst = this.#d.registry.handle(t.targetNodeId);
      if (!src || !dst) throw new PairdbError('INTERNAL_ERROR', `task ${t.taskId}: node ${!src ? t.sourceNodeId : t.targetNodeId} left the topology`);
      const client = src.client;
      if (!client.startStreaming || !client.getStreamStatus || !client.stopStreaming) throw new PairdbError('INTERNAL_ERROR', 'storage client cannot stream');
      // §11.4 step 3: a loser down for a while is replaced by the other alive members of before[:r].
      if (src.down) sourceDownSince ??= this.#now();
      else sourceDownSince = undefined;
      if (sourceDownSince !== undefined && this.#now() - sourceDownSince >= (this.#d.sourceReplaceAfterMs ?? 60_000)) return 'replace';
      const opts = () => ({ requestId: streamId, deadlineMs: Date.now() + STREAM_RPC_MS });
      try {
        if (restart) {
          if (src.down) throw new PairdbError('SERVICE_UNAVAILABLE', `source ${t.sourceNodeId} is down`);
          // A stream left over from an earlier attempt or driver is stopped first, so this one starts from the
          // stored checkpoint.
          await client.stopStreaming({ stream_id: streamId }, opts()).catch(() => undefined);
          baseBytes = t.bytesStreamed;
          const cursor = t.checkpointTenant !== null ? { tenant_id: t.checkpointTenant, key: t.checkpointKey ?? '' } : null;
          await client.startStreaming(
            {
              stream_id: streamId,
              target_node_id: t.targetNodeId,
              target_address: dst.address,
              spec: { ranges: rangesFromJson(t.ranges).map(([s, e]) => ({ start: s.toString(), end: e.toString() })), tenant_ids: t.tenantIds ? [...t.tenantIds] : [] },
              resume_after: cursor,
              batch_size: this.#d.streamBatchSize ?? 0,
              max_bytes_per_sec: 0,
            },
            opts(),
          );
          update({ ...cur(), state: 'running', attempts: cur().attempts + 1 });
          restart = false;
        }
        await sleep(Math.min(this.#d.pollMs ?? 2_000, 1_000), signal);
        if (signal.aborted) break;
        const st = await client.getStreamStatus({ stream_id: streamId }, opts());
        if (st.state !== 'STREAM_COUNTING') onCounted();
        // Never below what an earlier attempt reported (progress does not go back within a migration).
        const streamed = Math.max(cur().keysStreamed, Number(st.keys_streamed));
        const next: MigrationTaskRecord = {
          ...cur(),
          keysStreamed: streamed,
          keysTotal: Math.max(Number(st.keys_total), streamed),
          bytesStreamed: baseBytes + Number(st.bytes_streamed),
          checkpointTenant: st.checkpoint?.tenant_id ? st.checkpoint.tenant_id : cur().checkpointTenant,
          checkpointKey: st.checkpoint?.tenant_id ? st.checkpoint.key : cur().checkpointKey,
        };
        if (st.state === 'STREAM_COMPLETED') {
          update({ ...next, state: 'completed', keysTotal: streamed });
          return 'done';
        }
        if (ACTIVE_STREAM_STATES.has(String(st.state))) {
          update(next);
          backoff = RESTART_BACKOFF_MIN_MS;
          continue;
        }
        // FAILED or STOPPED (by someone else): restart from the checkpoint.
        update(next);
        this.#d.logger.warn({ stream: streamId, state: st.state, error: st.error }, 'stream ended early; restarting from its checkpoint');
        restart = true;
      } catch (err) {
        const e = PairdbError.from(err);
        // NOT_FOUND: the source restarted and forgot the stream; anything else: transport trouble. Both restart
        // from the stored checkpoint after a backoff (§11.4 step 3).
        this.#d.logger.warn({ stream: streamId, code: e.code, err: e.message, retry_ms: backoff }, 'stream status unavailable; restarting from the checkpoint');
        restart = true;
      }
      if (restart) {
        await sleep(backoff, signal);
        backoff = Math.min(RESTART_BACKOFF_MAX_MS, backoff * 2);
      }
    }
    // Rollback or shutdown: the source stops sending.
    const src = this.#d.registry.handle(cur().sourceNodeId!);
    await src?.client.stopStreaming?.({ stream_id: streamId }, { requestId: streamId, deadlineMs: Date.now() + STREAM_RPC_MS }).catch(() => undefined);
    return 'done';
  }

  /**
   * Replaces a stream task whose source stayed down: every other alive node of ring_old streams the same ranges and
   * tenants to the same target (a node that holds none of them sends nothing; before[:r] minus the lost source is among
   * them). The old task is kept as `failed`; resolves with the new task ids.
   */
  #replaceSource(tasks: Map<number, MigrationTaskRecord>, taskId: number, update: (t: MigrationTaskRecord) => void): number[] {
    const old = tasks.get(taskId)!;
    const now = this.#now();
    let nextId = Math.max(...tasks.keys()) + 1;
    const ids: number[] = [];
    for (const id of this.#d.registry.ring.nodeIds) {
      if (id === old.sourceNodeId || id === old.targetNodeId || this.#d.registry.isDown(id)) continue;
      const t: MigrationTaskRecord = { ...old, taskId: nextId++, sourceNodeId: id, state: 'pending', attempts: 0, keysTotal: 0, keysStreamed: 0, bytesStreamed: 0, checkpointTenant: null, checkpointKey: null, updatedAtMs: now };
      update(t);
      ids.push(t.taskId);
    }
    if (ids.length === 0) throw new PairdbError('SERVICE_UNAVAILABLE', `task ${taskId}: source ${old.sourceNodeId} is down and no other replica is alive`);
    update({ ...old, state: 'failed', keysTotal: old.keysStreamed });
    this.#d.logger.warn({ task: taskId, source: old.sourceNodeId, replacements: ids }, 'stream source down too long; streaming its ranges from the other replicas');
    return ids;
  }

  /**
   * RF decrease (§11.2 step 2, losers only): the remaining replicas get the reconciled data of every old replica —
   * ScanRange on all of them, reconcile per key, BatchWrite(REPAIR) what the target lacks.
   */
  async #runRepairTask(
    m: MigrationRecord,
    cur: () => MigrationTaskRecord,
    update: (t: MigrationTaskRecord) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const t = cur();
    // A repair task's ranges may join segments with different old replica lists: read every node of ring_old. A node
    // that never held a range adds nothing, and any older copy it holds merges harmlessly (Reduce keeps the maximal set).
    const sources = [...this.#d.registry.ring.nodeIds];
    const ranges = rangesFromJson(t.ranges).map(([s, e]) => ({ start: s.toString(), end: e.toString() }));
    const opts = () => ({ requestId: `${m.migrationId}/${t.taskId}`, deadlineMs: Date.now() + 60_000 });
    let backoff = RESTART_BACKOFF_MIN_MS;
    for (;;) {
      if (signal.aborted) return;
      try {
        update({ ...cur(), state: 'running', attempts: cur().attempts + 1 });
        const readers = sources.map((id) => {
          const h = this.#d.registry.handle(id);
          if (!h || h.down || !h.client.scanRange) throw new PairdbError('SERVICE_UNAVAILABLE', `replica ${id} is down`);
          return h;
        });
        const r = await reconcileRanges({
          registry: this.#d.registry,
          readers,
          ranges,
          tenantIds: t.tenantIds ?? [],
          targets: [t.targetNodeId],
          streamId: `${m.migrationId}/${t.taskId}`,
          opts,
        });
        update({ ...cur(), state: 'completed', keysTotal: r.keysSeen, keysStreamed: r.keysSeen });
        return;
      } catch (err) {
        this.#d.logger.warn({ task: t.taskId, err: PairdbError.from(err).message, retry_ms: backoff }, 'repair task failed; retrying');
        await sleep(backoff, signal);
        backoff = Math.min(RESTART_BACKOFF_MAX_MS, backoff * 2);
      }
    }
  }

  // ------------------------------------------------------------------ hint replay, finish, rollback, cleanup

  async #replayHints(m: MigrationRecord): Promise<void> {
    const drain = this.#d.drainHints;
    if (!drain) return;
    const targets = [...new Set(m.tasks.map((t) => t.targetNodeId))];
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort();
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setInterval(() => {
      try {
        this.#checkDeadline(m);
      } catch {
        ctl.abort();
      }
    }, 1_000);
    try {
      await Promise.all(targets.map((t) => drain(t, ctl.signal)));
    } finally {
      clearInterval(timer);
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
    this.#checkDeadline(m);
  }

  /** done (§11.3): one transaction: node normal/removed, status completed, cleanup_after, epoch + 1. */
  async #finish(m: MigrationRecord): Promise<MigrationRecord> {
    const now = this.#now();
    const nodes: StorageNodeRecord[] = [];
    if (m.nodeId) {
      const node = (await this.#d.store.listStorageNodes()).find((n) => n.nodeId === m.nodeId);
      if (node) nodes.push({ ...node, state: m.type === 'node_addition' ? 'normal' : 'removed', updatedAtMs: now, stateChangedAtMs: now });
    }
    const done: MigrationRecord = {
      ...m,
      status: 'completed',
      phase: 'done',
      keysMigrated: m.totalKeys,
      completedAtMs: now,
      cleanupAfterMs: now + (this.#d.cleanupGraceMs ?? 86_400_000),
      updatedAtMs: now,
    };
    const out = await this.#commit(m, done, { nodes });
    this.#cancelRequested.delete(m.migrationId);
    this.#d.logger.info({ migration: m.migrationId, keys: m.totalKeys, seconds: Math.round((now - (m.startedAtMs ?? now)) / 1000) }, 'migration completed');
    return out;
  }

  async #rollback(m: MigrationRecord, cancelled: boolean, message: string): Promise<void> {
    const now = this.#now();
    this.#d.logger.warn({ migration: m.migrationId, phase: m.phase, reason: message }, 'rolling the migration back');
    for (const t of m.tasks) {
      if (t.kind !== 'stream' || !t.sourceNodeId) continue;
      const h = this.#d.registry.handle(t.sourceNodeId);
      await h?.client.stopStreaming?.({ stream_id: `${m.migrationId}/${t.taskId}` }, { requestId: '', deadlineMs: Date.now() + STREAM_RPC_MS }).catch(() => undefined);
    }
    const nodes: StorageNodeRecord[] = [];
    const tenants: TenantRecord[] = [];
    if (m.nodeId) {
      const node = (await this.#d.store.listStorageNodes()).find((n) => n.nodeId === m.nodeId);
      if (node) {
        const state = m.type === 'node_addition' ? (cancelled ? 'removed' : 'failed') : 'normal';
        nodes.push({ ...node, state, updatedAtMs: now, stateChangedAtMs: now });
      }
    } else if (m.tenantId && m.oldRf !== null) {
      const t = await this.#d.store.getTenant(m.tenantId);
      if (t && m.startedAtMs !== null) tenants.push({ ...t, replicationFactor: m.oldRf, updatedAtMs: now, version: t.version + 1 });
    }
    const rolled: MigrationRecord = {
      ...m,
      status: cancelled ? 'cancelled' : 'failed',
      errorMessage: cancelled ? null : message,
      completedAtMs: now,
      updatedAtMs: now,
    };
    await this.#commit(m, rolled, { nodes, tenants });
    this.#cancelRequested.delete(m.migrationId);
    // Copies on gainers that stay in the ring are dropped; a failed added node must be wiped before re-adding.
    for (const t of m.tasks) {
      if (m.type === 'node_addition' && t.targetNodeId === m.nodeId) continue;
      const h = this.#d.registry.handle(t.targetNodeId);
      if (!h?.client.compact) continue;
      const drop = [{ ranges: rangesFromJson(t.ranges).map(([s, e]) => ({ start: s.toString(), end: e.toString() })), tenant_ids: t.tenantIds ? [...t.tenantIds] : [] }];
      await h.client
        .compact({ level: 0, all_levels: true, wait: false, drop }, { requestId: '', deadlineMs: Date.now() + STREAM_RPC_MS })
        .catch((err: unknown) => this.#d.logger.warn({ node: t.targetNodeId, err: PairdbError.from(err).message }, 'could not drop rolled-back copies; run a compaction with drop later'));
    }
  }

  /** §11.5: once grace has passed and nothing runs, losers drop the ranges they no longer replicate. */
  async #cleanup(migrations: readonly MigrationRecord[]): Promise<void> {
    const now = this.#now();
    const due = migrations.filter((m) => m.status === 'completed' && m.cleanupAfterMs !== null && m.cleanedUpAtMs === null && now >= m.cleanupAfterMs);
    if (due.length === 0) return;
    const tenants = await listAllTenants(this.#d.store);
    for (const m of due) {
      const ring = this.#d.registry.ring;
      for (const c of m.cleanup) {
        const h = this.#d.registry.handle(c.nodeId);
        if (!h || h.down || !h.client.compact) return; // try again on a later tick
        const rfs = [...new Set(tenants.filter((t) => c.tenantIds === null || c.tenantIds.includes(t.tenantId)).map((t) => t.replicationFactor))];
        const free = replicaFreeRanges(ring, c.nodeId, rangesFromJson(c.ranges), rfs);
        if (free.length === 0) continue;
        await h.client.compact(
          { level: 0, all_levels: true, wait: false, drop: [{ ranges: free.map(([s, e]) => ({ start: s.toString(), end: e.toString() })), tenant_ids: c.tenantIds ? [...c.tenantIds] : [] }] },
          { requestId: '', deadlineMs: Date.now() + STREAM_RPC_MS },
        );
      }
      await this.#d.store.updateMigration({ ...m, cleanedUpAtMs: now, updatedAtMs: now }, guardOf(m));
      this.#d.logger.info({ migration: m.migrationId, nodes: m.cleanup.map((c) => c.nodeId) }, 'migration cleanup done');
    }
  }
}
