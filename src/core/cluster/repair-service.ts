import { randomUUID } from 'node:crypto';
import { PairdbError } from '../errors.js';
import { type MetadataStore, type RepairRunRecord, type RepairRunStatus, listAllTenants } from '../metadata/metadata-store.js';
import type { Logger } from '../observability/logger.js';
import type * as pb from '../rpc/types.js';
import type { NodeRegistry } from './node-registry.js';
import { type RepairItemResult, runRepair } from './repair-runner.js';

/**
 * The coordinator's anti-entropy runs (cluster.md §14) for both triggers, the Repair RPC and `--repair-interval`:
 * one run at a time (REPAIR_IN_PROGRESS), none while a migration is in progress (TOPOLOGY_CHANGE_IN_PROGRESS), every
 * run recorded in `repair_runs` (running at start, progress every few seconds, then the final status).
 */

export interface RepairSpec {
  readonly tenantId?: string;
  readonly nodeId?: string;
  /** [start, end) of the ring; start = end (or absent) = the whole ring. */
  readonly range?: { readonly start: bigint; readonly end: bigint };
  readonly depth?: number;
  readonly dryRun?: boolean;
}

export interface RepairMetrics {
  item(result: RepairItemResult): void;
  keysStreamed(n: number): void;
}

export interface RepairServiceDeps {
  readonly store: MetadataStore;
  readonly registry: NodeRegistry;
  readonly epoch: () => number;
  readonly logger: Logger;
  readonly metrics?: RepairMetrics;
  readonly nowMs?: () => number;
  /** How often a running run's counters are written to `repair_runs` (default 2 s). */
  readonly persistEveryMs?: number;
}

const STATUS_OF: Record<string, RepairRunStatus> = {
  REPAIR_STATE_UNSPECIFIED: 'running',
  REPAIR_RUNNING: 'running',
  REPAIR_COMPLETED: 'completed',
  REPAIR_FAILED: 'failed',
  REPAIR_ABORTED: 'aborted',
};

export class RepairService {
  readonly #d: RepairServiceDeps;
  readonly #nowMs: () => number;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #scheduled: { abort: AbortController; done: Promise<void> } | undefined;
  #stopped = false;

  constructor(deps: RepairServiceDeps) {
    this.#d = deps;
    this.#nowMs = deps.nowMs ?? Date.now;
  }

  get running(): boolean {
    return this.#running;
  }

  /** One run; resolves with its final progress (the last RepairProgress of the RPC). */
  async run(spec: RepairSpec, opts: { signal?: AbortSignal; onProgress?: (p: pb.RepairProgress) => void | Promise<void>; trigger?: string } = {}): Promise<pb.RepairProgress> {
    if (this.#running) throw new PairdbError('REPAIR_IN_PROGRESS', 'a repair is already running on this coordinator');
    this.#running = true;
    try {
      return await this.#run(spec, opts);
    } finally {
      this.#running = false;
    }
  }

  async #run(spec: RepairSpec, opts: { signal?: AbortSignal; onProgress?: (p: pb.RepairProgress) => void | Promise<void>; trigger?: string }): Promise<pb.RepairProgress> {
    const { store, registry } = this.#d;
    const active = (await store.listMigrations()).find((m) => m.status === 'in_progress');
    if (active) {
      throw new PairdbError('TOPOLOGY_CHANGE_IN_PROGRESS', `migration ${active.migrationId} (${active.type}) is in progress; repair after it ends`);
    }
    const tenants = await this.#tenants(spec.tenantId);
    if (spec.nodeId && !registry.handle(spec.nodeId)) throw new PairdbError('NODE_NOT_FOUND', `storage node ${spec.nodeId} is not in the ring`);

    const started = this.#nowMs();
    const record: { -readonly [K in keyof RepairRunRecord]: RepairRunRecord[K] } = {
      runId: randomUUID(),
      tenantId: spec.tenantId || null,
      nodeId: spec.nodeId || null,
      status: 'running',
      startedAtMs: started,
      finishedAtMs: null,
      rangesTotal: 0,
      rangesDone: 0,
      rangesSkipped: 0,
      keysRepaired: 0,
      errorMessage: null,
    };
    // A dry run changes nothing, so it is not history of repairs (last_repair_completed_at_ms must not count it).
    const persist = !spec.dryRun;
    const every = this.#d.persistEveryMs ?? 2_000;
    let savedAt = 0;
    const save = async (p: pb.RepairProgress | undefined, final: boolean): Promise<void> => {
      if (p) {
        record.rangesTotal = p.ranges_total ?? 0;
        record.rangesDone = p.ranges_done ?? 0;
        record.rangesSkipped = p.ranges_skipped ?? 0;
        record.keysRepaired = Number(p.keys_repaired ?? 0);
      }
      if (!persist || (!final && this.#nowMs() - savedAt < every)) return;
      savedAt = this.#nowMs();
      try {
        await store.saveRepairRun({ ...record });
      } catch (err) {
        // The history is for operators; a failed write must not fail the repair itself.
        this.#d.logger.warn({ err, run_id: record.runId }, 'cannot record the repair run in repair_runs');
      }
    };

    let final: pb.RepairProgress;
    let first = true;
    try {
      final = await runRepair({
        registry,
        tenants,
        node: spec.nodeId || undefined,
        range: spec.range,
        epoch: this.#d.epoch,
        runId: record.runId,
        depth: spec.depth,
        dryRun: spec.dryRun,
        signal: opts.signal,
        onProgress: async (p) => {
          // The first message is the plan: the run is recorded `running` with its ranges_total at once.
          await save(p, first);
          first = false;
          await opts.onProgress?.(p);
        },
        onItem: (result, keys) => {
          this.#d.metrics?.item(result);
          if (keys > 0) this.#d.metrics?.keysStreamed(keys);
        },
      });
    } catch (err) {
      const e = PairdbError.from(err);
      // Bad requests are refused before anything ran; they are not runs.
      if (e.code !== 'INVALID_REQUEST') {
        // Cancelled by the caller (the client went away, Ctrl-C, shutdown): stopped, not broken.
        record.status = opts.signal?.aborted ? 'aborted' : 'failed';
        record.finishedAtMs = this.#nowMs();
        record.errorMessage = e.message;
        await save(undefined, true);
        this.#d.logger.warn({ run_id: record.runId, trigger: opts.trigger ?? 'rpc', status: record.status, err: e }, 'repair run ended early');
      }
      throw err;
    }
    record.status = STATUS_OF[String(final.state)] ?? 'completed';
    record.finishedAtMs = this.#nowMs();
    record.errorMessage = final.message || null;
    await save(final, true);
    this.#d.logger.info(
      {
        run_id: final.run_id,
        trigger: opts.trigger ?? 'rpc',
        state: final.state,
        dry_run: spec.dryRun === true,
        ranges: final.ranges_total,
        skipped: final.ranges_skipped,
        leaves_mismatched: String(final.leaves_mismatched),
        keys_repaired: String(final.keys_repaired),
        duration_ms: record.finishedAtMs - started,
      },
      'repair run ended',
    );
    return final;
  }

  async #tenants(tenantId: string | undefined): Promise<Array<{ tenantId: string; rf: number }>> {
    const store = this.#d.store;
    if (tenantId) {
      const t = await store.getTenant(tenantId);
      if (!t) throw new PairdbError('TENANT_NOT_FOUND', `tenant ${tenantId} does not exist`);
      return [{ tenantId: t.tenantId, rf: t.replicationFactor }];
    }
    return (await listAllTenants(store)).map((t) => ({ tenantId: t.tenantId, rf: t.replicationFactor }));
  }

  /**
   * `--repair-interval`: a full repair every `intervalMs` after the previous one ended; a tick is skipped while a
   * run (e.g. an operator's) is going on or a migration is in progress.
   */
  startSchedule(intervalMs: number): void {
    if (intervalMs <= 0 || this.#stopped) return;
    const tick = (): void => {
      this.#timer = undefined;
      if (this.#stopped) return;
      if (this.#running) {
        this.#d.logger.info({ trigger: 'schedule' }, 'periodic repair skipped: a repair is already running');
        this.#timer = setTimeout(tick, intervalMs).unref();
        return;
      }
      const abort = new AbortController();
      const done = this.run({}, { signal: abort.signal, trigger: 'schedule' })
        .then(() => undefined)
        .catch((err: unknown) => {
          const e = PairdbError.from(err);
          if (e.code === 'TOPOLOGY_CHANGE_IN_PROGRESS' || e.code === 'REPAIR_IN_PROGRESS') this.#d.logger.info({ trigger: 'schedule', reason: e.message }, 'periodic repair skipped');
          else this.#d.logger.warn({ trigger: 'schedule', err: e }, 'periodic repair failed');
        })
        .finally(() => {
          this.#scheduled = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs).unref();
        });
      this.#scheduled = { abort, done };
    };
    this.#timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the schedule and cancels a scheduled run in progress (it is recorded `aborted`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    const s = this.#scheduled;
    if (s) {
      s.abort.abort();
      await s.done;
    }
  }

  /** Runs left `running` by a coordinator that died mid-run never finish: they are recorded `aborted`. */
  async closeInterruptedRuns(): Promise<void> {
    for (const r of await this.#d.store.listRepairRuns(1000)) {
      if (r.status !== 'running') continue;
      await this.#d.store.saveRepairRun({ ...r, status: 'aborted', finishedAtMs: this.#nowMs(), errorMessage: 'the coordinator stopped during the run' });
    }
  }
}
