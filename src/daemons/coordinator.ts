import { join } from 'node:path';
import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Daemon } from '../commands/run-daemon.js';
import { PairdbError } from '../core/errors.js';
import { DataPath, type OpName, type OpResult, type ReadRepairMode, type RepairJob } from '../core/cluster/data-path.js';
import { Hlc } from '../core/cluster/hlc.js';
import { InProcessIdempotency } from '../core/cluster/idempotency.js';
import { NodeAdmin } from '../core/cluster/node-admin.js';
import { type ClientFactory, NodeRegistry, nodeAddress } from '../core/cluster/node-registry.js';
import { FileHintStore } from '../core/cluster/file-hint-store.js';
import { GossipObserver } from '../core/cluster/gossip-observer.js';
import { HintedHandoff } from '../core/cluster/hinted-handoff.js';
import { RepairService } from '../core/cluster/repair-service.js';
import { MigrationDriver } from '../core/cluster/migration-driver.js';
import { Placement } from '../core/cluster/placement.js';
import type { Level } from '../core/cluster/quorum.js';
import { ReadRepairQueue } from '../core/cluster/read-repair.js';
import { TenantAdmin } from '../core/cluster/tenant-admin.js';
import { TenantCache } from '../core/cluster/tenant-cache.js';
import { EmbeddedMetadataStore } from '../core/metadata/embedded-metadata-store.js';
import type { MetadataStore, TenantRecord } from '../core/metadata/metadata-store.js';
import { closeServer, startAdminServer } from '../core/observability/admin-server.js';
import type { Logger } from '../core/observability/logger.js';
import { StorageClient } from '../core/rpc/clients.js';
import { type PipeHandler, type RequestContext, type StreamContext, pipeServer, streamServer, unaryServer } from '../core/rpc/pipe.js';
import { bindServer, createServer, shutdownServer } from '../core/rpc/server.js';
import type * as pb from '../core/rpc/types.js';

/**
 * `pairdb coordinator` as a class (cli-and-ops.md §3): CoordinatorService over gRPC (the client data path on
 * the Pipe and the unary RPCs, tenants, storage nodes), the embedded metadata store, the HLC with its persisted
 * floor, liveness of the storage nodes, read repair, and the admin HTTP port. No process.* here.
 */

export interface CoordinatorConfig {
  /** Vector-clock actor; MUST be stable and unique. */
  readonly nodeId: string;
  /** Holds `LOCK` and `metadata/metadata.json`. */
  readonly dataDir: string;
  readonly host: string;
  /** gRPC port; 0 = any free port (tests). */
  readonly port: number;
  /** Admin HTTP port; 0 = any free port, null = off. */
  readonly adminPort: number | null;
  readonly replicaTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly readRepair: ReadRepairMode;
  readonly readRepairQueue?: number;
  readonly tenantCacheTtlMs?: number;
  readonly shutdownTimeoutMs?: number;
  /** Liveness probe period of down nodes (cluster.md §10: 2 s). */
  readonly probeIntervalMs?: number;
  /** Periodic anti-entropy (cluster.md §14); 0 or absent = off. MUST be below gc-grace (checked by the command). */
  readonly repairIntervalMs?: number;
  /** Pull period of the storage nodes' gossip views (cluster.md §10: 1 s). */
  readonly gossipPullIntervalMs?: number;
  /** Replaces the storage client (tests); defaults to a real StorageClient per node. */
  readonly clientFactory?: ClientFactory;
  /** A migration not past handover_read by then rolls back (cluster.md §11.3: 1 h). */
  readonly migrationTimeoutMs?: number;
  /** Losers' copies are dropped this long after a migration completes (§11.5: 24 h). */
  readonly migrationCleanupGraceMs?: number;
  /** GetStreamStatus poll interval (§11.4: 2 s). */
  readonly migrationPollMs?: number;
  /** A stream source down this long is replaced by the other replicas (§11.4: 60 s). */
  readonly migrationSourceDownGraceMs?: number;
}

export const COORDINATOR_DEFAULTS = {
  nodeId: 'c1',
  host: '127.0.0.1',
  port: 50051,
  adminPort: 9101,
  replicaTimeoutMs: 2_000,
  writeTimeoutMs: 5_000,
  readTimeoutMs: 3_000,
  readRepair: 'async',
  readRepairQueue: 1000,
  tenantCacheTtlMs: 5 * 60_000,
  shutdownTimeoutMs: 30_000,
} as const;

/** The hlc floor is saved at least this often (cluster.md §5). */
const FLOOR_SAVE_INTERVAL_MS = 1_000;

class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #ops: Counter<'op' | 'consistency' | 'result'>;
  readonly #duration: Histogram<'op' | 'consistency'>;
  readonly #opChildren = new Map<string, { inc(): void }>();
  readonly #durChildren = new Map<string, { observe(v: number): void }>();
  readonly repairs: Counter<'result'>;
  readonly hints: Record<'written' | 'replayed' | 'expired', Counter<'node'>>;
  readonly ready: Gauge;
  /** Anti-entropy (cli-and-ops.md §5): items compared per result, keys sent to replicas. */
  readonly repairRanges: Counter<'result'>;
  readonly repairKeys: Counter;
  readonly migrationKeys: Counter<'type'>;

  constructor(
    nodeId: string,
    queueLength: () => number,
    ringNodes: () => Record<string, number>,
    hintsPending: () => ReadonlyMap<string, number> = () => new Map(),
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'pairdb_' });
    new Gauge({ name: 'pairdb_build_info', help: 'Build information', labelNames: ['version', 'daemon'], registers }).set(
      { version: '0.1.0', daemon: 'coordinator' },
      1,
    );
    this.ready = new Gauge({ name: 'pairdb_ready', help: '1 when the daemon is ready', registers });
    this.#ops = new Counter({ name: 'pairdb_coordinator_ops_total', help: 'Client operations', labelNames: ['op', 'consistency', 'result'], registers });
    this.#duration = new Histogram({
      name: 'pairdb_coordinator_op_duration_seconds',
      help: 'Client operation latency',
      labelNames: ['op', 'consistency'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.migrationKeys = new Counter({
      name: 'pairdb_coordinator_migration_keys_total',
      help: 'Keys acknowledged by migration targets (stream tasks) or compared (repair tasks)',
      labelNames: ['type'],
      registers,
    });
    this.repairs = new Counter({ name: 'pairdb_coordinator_read_repairs_total', help: 'Read repairs', labelNames: ['result'], registers });
    new Gauge({
      name: 'pairdb_coordinator_read_repair_queue',
      help: 'Read repairs waiting',
      registers,
      collect() {
        this.set(queueLength());
      },
    });
    new Gauge({
      name: 'pairdb_coordinator_ring_nodes',
      help: 'Storage nodes by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(ringNodes())) this.set({ state }, n);
      },
    });
    const hintCounter = (kind: string, help: string): Counter<'node'> =>
      new Counter({ name: `pairdb_coordinator_hints_${kind}_total`, help, labelNames: ['node'], registers });
    this.hints = {
      written: hintCounter('written', 'Hints stored for replicas that missed a write'),
      replayed: hintCounter('replayed', 'Hints delivered to their node'),
      expired: hintCounter('expired', 'Hints dropped past the hint window (the node needs repair)'),
    };
    new Gauge({
      name: 'pairdb_coordinator_hints_pending',
      help: 'Undelivered hints per node',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const [node, n] of hintsPending()) this.set({ node }, n);
      },
    });
    this.repairRanges = new Counter({
      name: 'pairdb_coordinator_repair_ranges_total',
      help: 'Anti-entropy ranges compared, by result (in_sync, repaired, mismatched in a dry run, skipped)',
      labelNames: ['result'],
      registers,
    });
    this.repairKeys = new Counter({ name: 'pairdb_coordinator_repair_keys_streamed_total', help: 'Keys sent to replicas by anti-entropy repair', registers });
    void nodeId;
  }

  /** Label children are cached: a labelled inc costs a map lookup, not a label-set hash per request. */
  observe(op: OpName, level: Level, result: OpResult, seconds: number): void {
    const k = `${op}|${level}|${result}`;
    let c = this.#opChildren.get(k);
    if (!c) {
      c = this.#ops.labels(op, level, result);
      this.#opChildren.set(k, c);
    }
    c.inc();
    const dk = `${op}|${level}`;
    let d = this.#durChildren.get(dk);
    if (!d) {
      d = this.#duration.labels(op, level);
      this.#durChildren.set(dk, d);
    }
    d.observe(seconds);
  }
}

export class CoordinatorDaemon implements Daemon {
  readonly #cfg: CoordinatorConfig;
  readonly #log: Logger;
  #store: MetadataStore | undefined;
  #registry: NodeRegistry | undefined;
  #server: grpc.Server | undefined;
  #admin: HttpServer | undefined;
  #grpcPort = 0;
  #adminPort: number | null = null;
  #serving = false;
  #metadataLoaded = false;
  #epoch = 0;
  #hlc: Hlc | undefined;
  #floorTimer: NodeJS.Timeout | undefined;
  #floorSave: Promise<void> | undefined;
  #repairs: ReadRepairQueue<RepairJob> | undefined;
  #tenantCache = new TenantCache<TenantRecord>();
  #metrics: CoordinatorMetrics | undefined;
  #stopped = false;
  #hintStore: FileHintStore | undefined;
  #repairService: RepairService | undefined;
  #handoff: HintedHandoff | undefined;
  #migrations: MigrationDriver | undefined;
  /** topology.fence_epoch as stored: the least fence the gossip pulls carry. */
  #fenceFloor = 0;
  #placement: Placement | undefined;
  #dataPath: DataPath | undefined;
  #gossipObserver: GossipObserver | undefined;
  /** Client requests being served (data path and admin), drained on stop. */
  #inFlight = 0;
  #drainWaiters: Array<() => void> = [];

  constructor(config: CoordinatorConfig, logger: Logger) {
    this.#cfg = config;
    this.#log = logger;
    this.#tenantCache = new TenantCache<TenantRecord>({ ttlMs: config.tenantCacheTtlMs ?? COORDINATOR_DEFAULTS.tenantCacheTtlMs });
  }

  get grpcPort(): number {
    return this.#grpcPort;
  }

  get adminPort(): number | null {
    return this.#adminPort;
  }

  get address(): string {
    return nodeAddress(this.#cfg.host, this.#grpcPort);
  }

  /** gRPC health: SERVING from metadata load until shutdown starts (rpc.md §7). */
  get serving(): boolean {
    return this.#serving;
  }

  /** Ready: metadata loaded and at least one normal storage node (cli-and-ops.md §3). */
  readiness(): { ready: boolean; checks: Record<string, unknown> } {
    const normal = this.#registry?.count((r) => r.state === 'normal') ?? 0;
    const ready = this.#serving && this.#metadataLoaded && normal >= 1;
    return {
      ready,
      checks: {
        metadata: this.#metadataLoaded ? 'ok' : 'not_loaded',
        storage_nodes_normal: normal,
        shutting_down: !this.#serving && this.#metadataLoaded,
      },
    };
  }

  async start(): Promise<void> {
    const cfg = this.#cfg;
    if (!cfg.dataDir) throw new PairdbError('CONFIG_INVALID', 'data-dir is required with embedded metadata');
    const store = new EmbeddedMetadataStore({ dataDir: cfg.dataDir, coordinatorId: cfg.nodeId, logger: this.#log });
    this.#store = store;
    await store.open();

    const hlc = new Hlc({ nowMs: Date.now, floor: await store.getHlcFloor(cfg.nodeId), onFloorNeeded: () => this.#saveFloorSoon() });
    this.#hlc = hlc;
    // The first dot after a restart is above the loaded floor; cover the next second before serving.
    await this.#saveFloor();

    const clientFactory: ClientFactory = cfg.clientFactory ?? ((address) => new StorageClient(address));
    // Hinted handoff (cluster.md §9): the hint log lives in the coordinator's data dir and survives restarts.
    const hintStore = await FileHintStore.open({ dir: join(cfg.dataDir, 'hints') });
    this.#hintStore = hintStore;
    let handoff: HintedHandoff | undefined;
    const registry = new NodeRegistry({
      clientFactory,
      logger: this.#log,
      probeIntervalMs: cfg.probeIntervalMs,
      onAlive: (nodeId) => handoff?.kick(nodeId),
    });
    this.#registry = registry;
    handoff = new HintedHandoff({ store: hintStore, registry, logger: this.#log });
    this.#handoff = handoff;
    await this.#reloadTopology();
    this.#metadataLoaded = true;
    registry.start();
    // Failure detection (cluster.md §10): the storage nodes' gossip views say which nodes are down.
    this.#gossipObserver = new GossipObserver({
      registry,
      coordinatorId: cfg.nodeId,
      ringEpoch: () => this.#epoch,
      fenceEpoch: () => this.#fenceFloor,
      logger: this.#log,
      intervalMs: cfg.gossipPullIntervalMs,
    });
    this.#gossipObserver.start();
    handoff.start();
    // Hints left by an earlier run go out as soon as their targets answer.
    handoff.sweep();

    const metrics = new CoordinatorMetrics(
      cfg.nodeId,
      () => this.#repairs?.length ?? 0,
      () => {
        const byState: Record<string, number> = {};
        for (const h of registry.handles) {
          const s = h.down ? 'down' : h.record.state;
          byState[s] = (byState[s] ?? 0) + 1;
        }
        return byState;
      },
      () => hintStore.counts(),
    );
    this.#metrics = metrics;
    const skipWarned = new Map<string, number>();
    handoff.onEvent = (kind, node, n) => {
      if (kind !== 'skipped') return metrics.hints[kind].inc({ node }, n);
      // Once a minute per node: every write to it would say the same.
      if (Date.now() - (skipWarned.get(node) ?? 0) < 60_000) return;
      skipWarned.set(node, Date.now());
      this.#log.warn({ node }, 'no new hints: the node has been down longer than the hint window (repair it)');
    };

    const tenants = new TenantAdmin({
      store,
      cache: this.#tenantCache,
      eligibleNodes: () => registry.count((r) => r.state === 'normal' || r.state === 'bootstrapping'),
    });
    const nodes = new NodeAdmin({
      store,
      registry,
      clientFactory,
      onTopologyChanged: () => this.#reloadTopology(),
      coordinator: { id: cfg.nodeId, address: () => this.address },
      epoch: () => this.#epoch,
      logger: this.#log,
      hintsPending: () => hintStore.counts(),
      gcGraceOf: (nodeId) => this.#gossipObserver?.gcGraceOf(nodeId),
    });
    let dataPath: DataPath | undefined;
    const repairs = new ReadRepairQueue<RepairJob>({
      capacity: cfg.readRepairQueue ?? COORDINATOR_DEFAULTS.readRepairQueue,
      workers: 4,
      send: (job) => dataPath!.sendRepair(job),
      onResult: (result) => metrics.repairs.inc({ result }),
    });
    this.#repairs = repairs;
    dataPath = new DataPath({
      config: {
        nodeId: cfg.nodeId,
        replicaTimeoutMs: cfg.replicaTimeoutMs,
        writeTimeoutMs: cfg.writeTimeoutMs,
        readTimeoutMs: cfg.readTimeoutMs,
        readRepair: cfg.readRepair,
      },
      registry,
      tenant: (id) => tenants.lookup(id),
      hlc,
      idempotency: new InProcessIdempotency<object>(),
      repairs,
      hints: handoff,
      epoch: () => this.#epoch,
      reloadTopology: () => this.#reloadTopology(),
      placement: () => this.#placement!,
      logger: this.#log,
      observe: (op, level, result, seconds) => metrics.observe(op, level, result, seconds),
    });
    const dp = dataPath;
    this.#dataPath = dp;
    const driver = new MigrationDriver({
      store,
      registry,
      reload: () => this.#reloadTopology(),
      barrier: (epoch) => this.#barrier(epoch),
      drainHints: (target, signal) => handoff!.drain(target, signal),
      logger: this.#log,
      timeoutMs: cfg.migrationTimeoutMs,
      cleanupGraceMs: cfg.migrationCleanupGraceMs,
      pollMs: cfg.migrationPollMs,
      sourceReplaceAfterMs: cfg.migrationSourceDownGraceMs,
      onKeysMigrated: (type, n) => metrics.migrationKeys.inc({ type }, n),
    });
    this.#migrations = driver;
    nodes.onQueued = () => driver.kick();
    nodes.onCancel = (id) => driver.requestCancel(id);
    tenants.enqueueRfChange = (t, rf) => nodes.enqueueReplicationChange(t, rf);
    const repairService = new RepairService({
      store,
      registry,
      epoch: () => this.#epoch,
      logger: this.#log,
      metrics: { item: (result) => metrics.repairRanges.inc({ result }), keysStreamed: (n) => metrics.repairKeys.inc(n) },
    });
    this.#repairService = repairService;
    await repairService.closeInterruptedRuns();

    // One function per data-path RPC behind both the pipe entry and the unary call (rpc.md §4a).
    const dataHandler: PipeHandler = (member, payload, ctx) => {
      switch (member) {
        case 'write':
          return dp.write(payload as pb.WriteKeyValueRequest__Output, ctx).then((r) => ['write_ok', r]);
        case 'read':
          return dp.read(payload as pb.ReadKeyValueRequest__Output, ctx).then((r) => ['read_ok', r]);
        case 'delete':
          return dp.delete(payload as pb.DeleteKeyValueRequest__Output, ctx).then((r) => ['delete_ok', r]);
        default:
          return Promise.reject(new PairdbError('INVALID_REQUEST', `unknown pipe member ${member}`));
      }
    };
    const pipeHandler: PipeHandler = (member, payload, ctx) => this.#track(() => dataHandler(member, payload, ctx));
    // A handler that throws before its first await still answers with its code, not INTERNAL.
    const unary = <Req, Res>(fn: (req: Req, ctx: RequestContext) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
      unaryServer((req: Req, ctx: RequestContext) => this.#track(() => fn(req, ctx)));
    const handlers: grpc.UntypedServiceImplementation = {
      Pipe: pipeServer(pipeHandler),
      WriteKeyValue: unary((req: pb.WriteKeyValueRequest__Output, ctx) => dp.write(req, ctx)),
      ReadKeyValue: unary((req: pb.ReadKeyValueRequest__Output, ctx) => dp.read(req, ctx)),
      DeleteKeyValue: unary((req: pb.DeleteKeyValueRequest__Output, ctx) => dp.delete(req, ctx)),
      CreateTenant: unary((req: pb.CreateTenantRequest__Output) => tenants.create(req)),
      GetTenant: unary((req: pb.GetTenantRequest__Output) => tenants.get(req)),
      ListTenants: unary((req: pb.ListTenantsRequest__Output) => tenants.list(req)),
      UpdateTenant: unary((req: pb.UpdateTenantRequest__Output) => tenants.update(req)),
      UpdateReplicationFactor: unary((req: pb.UpdateReplicationFactorRequest__Output) => tenants.updateReplicationFactor(req)),
      AddStorageNode: unary((req: pb.AddStorageNodeRequest__Output) => nodes.add(req)),
      RemoveStorageNode: unary((req: pb.RemoveStorageNodeRequest__Output) => nodes.remove(req)),
      ListStorageNodes: unary((req: pb.ListStorageNodesRequest__Output) => nodes.list(req)),
      GetMigrationStatus: unary((req: pb.GetMigrationStatusRequest__Output) => nodes.migrationStatus(req)),
      Repair: streamServer((req: pb.RepairRequest__Output, ctx: StreamContext) => this.#repair(req, ctx, repairService)),
      ClusterStatus: unary(() => nodes.clusterStatus()),
    };
    const server = createServer('CoordinatorService', handlers, () => (this.#serving ? 'SERVING' : 'NOT_SERVING'));
    this.#server = server;
    this.#grpcPort = await bindServer(server, cfg.host, cfg.port);

    if (cfg.adminPort !== null) {
      const admin = await startAdminServer(cfg.host, cfg.adminPort, {
        readiness: () => this.readiness(),
        metrics: () => {
          metrics.ready.set(this.readiness().ready ? 1 : 0);
          return metrics.registry.metrics();
        },
      });
      this.#admin = admin.server;
      this.#adminPort = admin.port;
    }

    this.#floorTimer = setInterval(() => {
      if (hlc.dirty) this.#saveFloorSoon();
    }, FLOOR_SAVE_INTERVAL_MS);
    this.#floorTimer.unref();
    repairService.startSchedule(cfg.repairIntervalMs ?? 0);
    this.#serving = true;
    driver.start();
    this.#log.info(
      {
        address: this.address,
        admin_port: this.#adminPort,
        data_dir: cfg.dataDir,
        epoch: this.#epoch,
        storage_nodes: registry.count(() => true),
        replica_timeout_ms: cfg.replicaTimeoutMs,
        write_timeout_ms: cfg.writeTimeoutMs,
        read_timeout_ms: cfg.readTimeoutMs,
        read_repair: cfg.readRepair,
        repair_interval_ms: cfg.repairIntervalMs ?? 0,
      },
      'coordinator listening',
    );
  }

  /**
   * Runs one request unless shutdown has begun (then SERVICE_UNAVAILABLE, nothing done), counting it for the
   * drain. A handler that throws before its first await still answers with its own code.
   */
  #track<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#serving) {
      return Promise.reject(new PairdbError('SERVICE_UNAVAILABLE', 'coordinator is shutting down', { outcome: 'not_applied', retryAfterSeconds: 1 }));
    }
    this.#inFlight++;
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.finally(() => {
      if (--this.#inFlight === 0 && this.#drainWaiters.length > 0) for (const w of this.#drainWaiters.splice(0)) w();
    });
  }

  /** Resolves true once no request is in flight, false after `timeoutMs`. */
  #drain(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.#drainWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Reloads nodes and epoch from the store: a new ring, and the tenant cache dropped (cluster.md §4, §13). */
  async #reloadTopology(): Promise<void> {
    const store = this.#store!;
    const [nodes, topology, migrations] = await Promise.all([store.listStorageNodes(), store.getTopology(), store.listMigrations()]);
    this.#fenceFloor = topology.fenceEpoch;
    const registry = this.#registry!;
    registry.update(nodes);
    const active = migrations.find((m) => m.status === 'in_progress');
    this.#placement = new Placement(registry.ring, registry.ringNew, active ?? null);
    if (topology.epoch !== this.#epoch) this.#tenantCache.clear();
    this.#epoch = topology.epoch;
  }

  /**
   * Barrier(E) (cluster.md §4) for the one coordinator of embedded metadata: it routes with E as soon as it reloaded,
   * so only requests that started under an older epoch remain; wait for them (at most 30 s), then push fence_epoch = E
   * to the alive nodes. Requests still running under an old epoch then (no ack) get replica-timeout + 1 s more.
   */
  async #barrier(epoch: number): Promise<void> {
    const dp = this.#dataPath;
    const until = Date.now() + 30_000;
    while (dp && dp.inFlightBelow(epoch) > 0 && Date.now() < until && !this.#stopped) await new Promise((r) => setTimeout(r, 20));
    const acked = !dp || dp.inFlightBelow(epoch) === 0;
    await this.#gossipObserver?.pushFence(epoch);
    // The fence is part of the topology record (cluster.md §15), so a restarted coordinator keeps sending it.
    await this.#store?.raiseFenceEpoch(epoch).catch((err: unknown) => this.#log.error({ err, fence_epoch: epoch }, 'cannot persist the topology fence'));
    if (!acked && !this.#stopped) await new Promise((r) => setTimeout(r, this.#cfg.replicaTimeoutMs + 1_000));
  }

  #saveFloorSoon(): void {
    if (this.#floorSave || this.#stopped) return;
    this.#floorSave = this.#saveFloor()
      .catch((err: unknown) => this.#log.error({ err }, 'cannot persist hlc_floor'))
      .finally(() => {
        this.#floorSave = undefined;
      });
  }

  async #saveFloor(): Promise<void> {
    const hlc = this.#hlc;
    const store = this.#store;
    if (!hlc || !store) return;
    const floor = hlc.persistFloor();
    await store.setHlcFloor(this.#cfg.nodeId, floor);
    hlc.markPersisted(floor);
  }

  /**
   * Repair (cluster.md §14, rpc.md Repair): progress once planned and after every item, the last message with the
   * final state. The rules (one at a time, not during a migration, recorded in repair_runs) are RepairService's.
   */
  async #repair(req: pb.RepairRequest__Output, ctx: StreamContext, service: RepairService): Promise<void> {
    let range: { start: bigint; end: bigint } | undefined;
    if (req.range) {
      const start = BigInt(req.range.start || '0');
      const end = BigInt(req.range.end || '0');
      if (start >= 1n << 64n || end >= 1n << 64n || start < 0n || end < 0n) throw new PairdbError('INVALID_REQUEST', 'range bounds must be uint64');
      // start = end is the whole ring (cluster.md §1).
      if (start !== end) range = { start, end };
    }
    const final = await service.run(
      { tenantId: req.tenant_id || undefined, nodeId: req.node_id || undefined, range, depth: req.depth, dryRun: req.dry_run },
      { signal: ctx.signal, onProgress: (p) => ctx.send(p) },
    );
    await ctx.send(final);
  }

  async stop(reason: string): Promise<boolean> {
    if (this.#stopped) return true;
    this.#stopped = true;
    this.#serving = false;
    const timeout = this.#cfg.shutdownTimeoutMs ?? COORDINATOR_DEFAULTS.shutdownTimeoutMs;
    let clean = true;
    this.#log.info({ reason }, 'coordinator stopping');
    if (this.#floorTimer) clearInterval(this.#floorTimer);
    await this.#repairService?.stop();
    const server = this.#server;
    if (server) {
      // No new calls; requests already running finish (their replica writes included), then their answers
      // get a turn to flush before the pipes, which never end by themselves, are closed.
      const shutDown = shutdownServer(server, timeout + 1000);
      clean = await this.#drain(timeout);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      server.forceShutdown();
      await Promise.race([shutDown, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    // Queued read repairs get a short chance to go out; they are an optimization, repair covers the rest.
    if (this.#repairs) {
      await Promise.race([this.#repairs.drained(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    await this.#migrations?.stop();
    this.#gossipObserver?.stop();
    this.#registry?.stop();
    this.#handoff?.stop();
    await this.#hintStore?.close().catch((err: unknown) => this.#log.error({ err }, 'closing the hint log failed'));
    if (this.#admin) await closeServer(this.#admin);
    try {
      await this.#floorSave;
      if (this.#hlc && this.#store && this.#metadataLoaded) await this.#saveFloor();
    } catch (err) {
      this.#log.error({ err }, 'cannot persist hlc_floor at shutdown');
      clean = false;
    }
    await this.#store?.close();
    this.#log.info({ clean }, 'coordinator stopped');
    return clean;
  }
}
