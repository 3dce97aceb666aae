import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DiskThresholds, StatfsFn } from '../core/engine/disk-guard.js';
import { StorageEngine, type StorageEngineOptions, type WritePurpose, type WriteResult } from '../core/engine/engine.js';
import { EngineMetrics } from '../core/engine/engine-metrics.js';
import { type FileSystem, NodeFileSystem } from '../core/engine/file-system.js';
import { DEFAULT_DIGEST_DEPTH, MAX_DIGEST_DEPTH } from '../core/engine/range-digest.js';
import { type SnapshotInfo, SnapshotStore, defaultSnapshotName } from '../core/engine/snapshot.js';
import type { WriteIdEntry } from '../core/engine/write-ids.js';
import { PairdbError } from '../core/errors.js';
import { nodeAddress } from '../core/cluster/node-registry.js';
import type { MemberLoad } from '../core/cluster/membership.js';
import { counterOf, mergeAll } from '../core/model/vector-clock.js';
import type { Version } from '../core/model/version.js';
import { clockToWire, versionFromWire, versionToWire } from '../core/model/version-wire.js';
import { closeServer, startAdminServer } from '../core/observability/admin-server.js';
import type { Logger } from '../core/observability/logger.js';
import { type PipeHandler, type RequestContext, type StreamContext, orderedBidiServer, pipeServer, streamServer, unaryServer } from '../core/rpc/pipe.js';
import { ScanBatcher, cursorToCkey, dropPredicate, keyRecordOf, rangeSpecFromWire, ringRangeFromWire, tenantsFromWire } from '../core/rpc/range-spec.js';
import { bindServer, createServer } from '../core/rpc/server.js';
import type * as pb from '../core/rpc/types.js';
import { StreamSender } from './stream-sender.js';
import { StorageGossip } from './storage-gossip.js';
import { AliveMarker } from './storage-alive.js';
import { staleRejoinError } from '../core/cluster/stale-node.js';
import { checkFence, requestEpochFromWire } from '../core/cluster/topology-fence.js';

/** Configuration of `pairdb storage` (cli-and-ops.md §4 "storage"). */
export interface StorageDaemonConfig {
  readonly nodeId: string;
  readonly dataDir: string;
  readonly host: string;
  /** gRPC port; 0 = any free port (tests). */
  readonly port: number;
  /** Admin HTTP port (/livez /readyz /metrics); 0 = any free port, null = off. */
  readonly adminPort: number | null;
  readonly commitlogSync: 'batch' | 'periodic';
  readonly commitlogSyncIntervalMs?: number;
  readonly commitlogSegmentBytes?: number;
  /** Flush threshold of the active memtable (`--memtable-size`, default 64 MiB). */
  readonly memtableBytes?: number;
  /** Row cache bytes (`--row-cache-size`, default 128 MiB, 0 = off). */
  readonly rowCacheBytes?: number;
  /** Flush the memtable on stop (`--flush-on-shutdown`, default true). */
  readonly flushOnShutdown?: boolean;
  /** `echo` (hidden, benchmark baseline): no engine; Write answers APPLIED at once, Read answers not found. */
  readonly engine?: 'lsm' | 'echo';
  readonly shutdownTimeoutMs?: number;
  /** Injected file system (tests); node:fs by default. */
  readonly fs?: FileSystem;
  /** Disk guard thresholds as usage ratios (`--disk-warn/--disk-throttle/--disk-reject` are percent), default 0.80/0.90/0.95. */
  readonly diskThresholds?: Partial<DiskThresholds>;
  /** Injected statfs for the disk guard (tests set the usage); node's fs.promises.statfs by default. */
  readonly statfs?: StatfsFn;
  /** Disk guard poll interval (tests), default 5 s. */
  readonly diskPollIntervalMs?: number;
  /** `--quarantine-corrupt`: set unopenable tables aside at start and run degraded (storage-engine.md §5). */
  readonly quarantineCorrupt?: boolean;
  /** Engine tuning flags (block size, bloom, block cache, compaction shape and rate, gc_grace); absent = defaults. */
  readonly tuning?: Pick<StorageEngineOptions, 'blockBytes' | 'bloomBitsPerKey' | 'blockCacheBytes' | 'compaction' | 'compactionBytesPerSec'>;
  /** Gossip timing (cluster.md §10; tests): round interval 1 s, 3 peers per round, suspect after 5 s, down after 10 s. */
  readonly gossip?: { readonly intervalMs?: number; readonly fanout?: number; readonly suspectAfterMs?: number; readonly downAfterMs?: number };
  /** `--allow-stale-rejoin`: start even when last alive longer than gc_grace ago (cluster.md §2; logged as a warning). */
  readonly allowStaleRejoin?: boolean;
}

const DEFAULT_GC_GRACE_MS = 10 * 24 * 3600 * 1000;
const TENANT_RE = /^[A-Za-z0-9._-]{1,255}$/;
/** Keys are checked against the client limits upstream; the engine only needs them non-empty, NUL-free, sane. */
const MAX_KEY_BYTES = 64 * 1024;
const MAX_WRITE_ID_BYTES = 255;

const PURPOSES: Readonly<Record<string, WritePurpose>> = {
  PURPOSE_CLIENT: 'CLIENT',
  PURPOSE_HINT: 'HINT',
  PURPOSE_READ_REPAIR: 'READ_REPAIR',
  PURPOSE_REPAIR: 'REPAIR',
  PURPOSE_STREAM: 'STREAM',
};

const OUTCOMES = {
  APPLIED: 'OUTCOME_APPLIED',
  DOMINATED: 'OUTCOME_DOMINATED',
  DUPLICATE: 'OUTCOME_DUPLICATE',
} as const;

function invalid(message: string): PairdbError {
  return new PairdbError('INVALID_REQUEST', message, { outcome: 'not_applied' });
}

function checkTenantKey(tenantId: string, key: string): void {
  if (!TENANT_RE.test(tenantId)) throw invalid('tenant_id must match [A-Za-z0-9._-]{1,255}');
  if (key.length === 0 || key.includes('\u0000') || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw invalid('key must be 1..65536 bytes without NUL');
  }
}

/** versionFromWire plus the §1 rules it leaves out: the writer has a clock entry and timestamp_ms = floor(ht/1000). */
function parseVersion(w: pb.Version__Output): Version {
  const v = versionFromWire(w);
  const ht = counterOf(v.clock, v.writerId);
  if (ht === 0) throw invalid('the version clock has no entry for its writer_id');
  if (v.timestampMs !== Math.floor(ht / 1000)) throw invalid('timestamp_ms must be floor(clock[writer_id] / 1000)');
  return v;
}

function writeOk(res: pb.WriteResponse): [string, object] {
  return ['write_ok', res];
}

function readOk(res: pb.ReadResponse): [string, object] {
  return ['read_ok', res];
}

function snapshotToWire(s: SnapshotInfo): pb.SnapshotInfo {
  return { name: s.name, created_at_ms: String(s.createdMs), sstables: s.sstables, bytes: String(s.bytes) };
}

/** A Compact call's job while it runs (one at a time per node). */
interface CompactJob {
  readonly id: string;
  readonly levels: string;
  readonly done: Promise<unknown>;
}

/**
 * `pairdb storage`: one storage node. Serves StorageService (Pipe + unary Write/Read over the same handler
 * functions, BatchWrite, ScanRange, RangeDigest, StartStreaming / GetStreamStatus / StopStreaming (stream-sender.ts), Health,
 * Stats, Flush, Compact, Snapshot, Gossip (storage-gossip.ts)) and the admin HTTP port. Never touches
 * process.* (cli-and-ops.md §3); fatal engine errors go to `onFatal`, whose owner exits 74.
 */
export class StorageDaemon {
  readonly #config: StorageDaemonConfig;
  readonly #log: Logger;
  readonly #onFatal: (err: Error) => void;
  #engine: StorageEngine | undefined;
  #server: grpc.Server | undefined;
  #admin: HttpServer | undefined;
  #grpcPort = 0;
  #adminPort: number | null = null;
  #ready = false;
  #accepting = false;
  #failed = false;
  #inFlight = 0;
  #drained: Array<() => void> = [];
  #generation = 0;
  #stopped: Promise<boolean> | undefined;
  readonly #rpcCounts = new Map<string, number>();
  #registry: Registry | undefined;
  #engineMetrics: EngineMetrics | undefined;
  #snapshots: SnapshotStore | undefined;
  #compactJob: CompactJob | undefined;
  #streams: StreamSender | undefined;
  #gossip: StorageGossip | undefined;
  #alive: AliveMarker | undefined;

  constructor(config: StorageDaemonConfig, log: Logger, onFatal: (err: Error) => void = () => undefined) {
    this.#config = config;
    this.#log = log;
    this.#onFatal = onFatal;
  }

  /** Bound gRPC port (after start). */
  get grpcPort(): number {
    return this.#grpcPort;
  }

  /** Bound admin port (after start), null when off. */
  get adminPort(): number | null {
    return this.#adminPort;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** The engine (tests); undefined in echo mode. */
  get engine(): StorageEngine | undefined {
    return this.#engine;
  }

  /** Admin port first (/livez answers during replay), then engine open + replay, then gRPC, then ready. */
  async start(): Promise<void> {
    const cfg = this.#config;
    this.#generation = Date.now();
    this.#registry = this.#buildMetrics();
    if (cfg.adminPort !== null) {
      const { server, port } = await startAdminServer(cfg.host, cfg.adminPort, {
        readiness: () => this.#readiness(),
        metrics: () => this.#registry!.metrics(),
      });
      this.#admin = server;
      this.#adminPort = port;
    }
    if ((cfg.engine ?? 'lsm') === 'lsm') {
      await this.#checkNotStale();
      this.#engine = await StorageEngine.open({
        dataDir: cfg.dataDir,
        logger: this.#log,
        fs: cfg.fs,
        commitlogSync: cfg.commitlogSync,
        syncIntervalMs: cfg.commitlogSyncIntervalMs,
        segmentBytes: cfg.commitlogSegmentBytes,
        memtableBytes: cfg.memtableBytes,
        rowCacheBytes: cfg.rowCacheBytes,
        flushOnShutdown: cfg.flushOnShutdown,
        diskThresholds: cfg.diskThresholds,
        statfs: cfg.statfs,
        diskPollIntervalMs: cfg.diskPollIntervalMs,
        observer: this.#engineMetrics,
        quarantineCorrupt: cfg.quarantineCorrupt,
        ...cfg.tuning,
        onFatal: (err) => this.#fatal(err),
      });
      // The engine holds LOCK now: this process owns the last-alive record.
      await this.#alive!.start();
      this.#snapshots = new SnapshotStore(cfg.fs ?? new NodeFileSystem(), cfg.dataDir);
      this.#streams = new StreamSender({ nodeId: cfg.nodeId, engine: this.#engine, logger: this.#log });
    } else {
      this.#log.warn('storage engine "echo": writes are acknowledged without being stored (benchmark baseline only)');
    }
    const pipe: PipeHandler = (member, payload, ctx) => {
      if (member === 'write') return this.#write(payload as pb.WriteRequest__Output, ctx).then(writeOk);
      if (member === 'read') return this.#read(payload as pb.ReadRequest__Output, ctx).then(readOk);
      return Promise.reject(invalid(`unknown storage pipe member ${member}`));
    };
    const handlers: grpc.UntypedServiceImplementation = {
      Pipe: pipeServer(pipe),
      Write: unaryServer(this.#write),
      Read: unaryServer(this.#read),
      Health: unaryServer(this.#health),
      Stats: unaryServer(this.#stats),
      Flush: unaryServer(this.#flush),
      Compact: unaryServer(this.#compact),
      Snapshot: unaryServer(this.#snapshot),
      ScanRange: streamServer(this.#scanRange),
      RangeDigest: streamServer(this.#rangeDigest),
      BatchWrite: orderedBidiServer(this.#batchWrite),
      StartStreaming: unaryServer(this.#startStreaming),
      GetStreamStatus: unaryServer(this.#getStreamStatus),
      StopStreaming: unaryServer(this.#stopStreaming),
      Gossip: unaryServer(this.#gossipRpc),
    };
    this.#server = createServer('StorageService', handlers, () => (this.#ready ? 'SERVING' : 'NOT_SERVING'));
    this.#grpcPort = await bindServer(this.#server, cfg.host, cfg.port);
    this.#gossip = new StorageGossip({
      nodeId: cfg.nodeId,
      address: nodeAddress(cfg.host, this.#grpcPort),
      generation: BigInt(this.#generation),
      logger: this.#log,
      load: () => this.#load(),
      onFenceRaised: (epoch) => {
        this.#persistFence(epoch).catch((err: unknown) => this.#log.error({ err, fence_epoch: epoch.toString() }, 'could not persist the topology fence'));
      },
      ...cfg.gossip,
    });
    // The persisted fence is known from the first gossip round on, so peers and observers learn it after a restart.
    if (this.#engine) this.#gossip.membership.mergeFence(BigInt(this.#engine.fenceEpoch));
    this.#gossip.start();
    this.#accepting = true;
    this.#ready = !this.#failed;
    this.#log.info(
      {
        host: cfg.host,
        port: this.#grpcPort,
        admin_port: this.#adminPort,
        data_dir: cfg.dataDir,
        commitlog_sync: cfg.commitlogSync,
        engine: cfg.engine ?? 'lsm',
      },
      'storage node serving',
    );
  }

  /**
   * Graceful stop (cli-and-ops.md §3): unready, stop taking requests, let in-flight writes reach their fsync,
   * end the long-lived pipes, close the engine (releases LOCK). Resolves false when draining timed out.
   */
  stop(reason: string): Promise<boolean> {
    this.#stopped ??= this.#stop(reason);
    return this.#stopped;
  }

  async #stop(reason: string): Promise<boolean> {
    this.#log.info({ reason }, 'storage node stopping');
    this.#ready = false;
    this.#accepting = false;
    let clean = true;
    // Leave gossip first (cli-and-ops.md §3 step 2): peers and coordinators see the node go at once.
    await this.#gossip?.leave().catch((err: unknown) => this.#log.warn({ err }, 'leaving gossip failed'));
    this.#gossip?.stop();
    const server = this.#server;
    if (server) {
      const shutDown = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      clean = await this.#drain(this.#config.shutdownTimeoutMs ?? 30_000);
      // Let the pipes send the answers of the drained requests (they flush on the next turn), then end them:
      // pipe streams never finish by themselves, so tryShutdown alone would wait for the timeout.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      server.forceShutdown();
      await Promise.race([shutDown, new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    await this.#alive?.stop();
    // Outgoing streams hold engine scans (pinned tables): stop them before the engine closes.
    await this.#streams?.close();
    if (this.#engine) {
      try {
        // A running Compact job stops at its next step once the engine is closing; its failure is logged there.
        await Promise.all([this.#engine.close(), this.#compactJob?.done]);
      } catch (err) {
        this.#log.error({ err }, 'closing the storage engine failed');
        clean = false;
      }
    }
    if (this.#admin) await closeServer(this.#admin);
    this.#log.info({ clean }, 'storage node stopped');
    return clean;
  }

  /**
   * The stale-node rule (cluster.md §2): a data dir last alive longer than gc_grace ago refuses to start (NODE_STALE,
   * exit 4) unless --allow-stale-rejoin; its tombstones may be purged elsewhere, so its old values would resurrect.
   */
  async #checkNotStale(): Promise<void> {
    const cfg = this.#config;
    const gcGraceMs = cfg.tuning?.compaction?.gcGraceMs ?? DEFAULT_GC_GRACE_MS;
    const alive = new AliveMarker(cfg.fs ?? new NodeFileSystem(), cfg.dataDir, gcGraceMs, this.#log);
    this.#alive = alive;
    const stale = staleRejoinError(await alive.read(), Date.now(), gcGraceMs);
    if (!stale) return;
    if (!cfg.allowStaleRejoin) throw stale;
    this.#log.warn({ reason: stale.message }, 'starting a stale node because of --allow-stale-rejoin; run a repair before trusting its data');
  }

  #drain(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #done(): void {
    if (--this.#inFlight === 0 && this.#drained.length > 0) {
      const waiters = this.#drained;
      this.#drained = [];
      for (const f of waiters) f();
    }
  }

  #count(rpc: string, code: string): void {
    const k = `${rpc}|${code}`;
    this.#rpcCounts.set(k, (this.#rpcCounts.get(k) ?? 0) + 1);
  }

  #assertServing(): void {
    if (!this.#accepting || !this.#ready) {
      throw new PairdbError('NOT_READY', `storage node ${this.#config.nodeId} is not serving`, { outcome: 'not_applied' });
    }
  }

  /**
   * BatchWrite (rpc.md §6): the records of one batch are written together (one group commit) with the batch's
   * purpose — never CLIENT: hints, streams and repair are neither fenced nor capped — and acked once durable with the
   * outcome counts. ≤ 1000 records per batch.
   */
  readonly #batchWrite = async (req: pb.BatchWriteRequest__Output): Promise<pb.BatchWriteAck> => {
    const purpose = PURPOSES[String(req.purpose)];
    if (!purpose || purpose === 'CLIENT') throw invalid(`BatchWrite purpose ${String(req.purpose)} is not accepted (HINT, READ_REPAIR, REPAIR or STREAM)`);
    if (req.records.length > 1000) throw invalid(`a BatchWrite batch carries at most 1000 records (got ${req.records.length})`);
    const ctx: RequestContext = { requestId: '', deadlineMs: Date.now() + 30_000 };
    const results = await Promise.all(
      req.records.map((record) => this.#write({ record, purpose: req.purpose, topology_epoch: '0' } as pb.WriteRequest__Output, ctx)),
    );
    let applied = 0;
    let dominated = 0;
    let duplicate = 0;
    for (const r of results) {
      if (r.outcome === OUTCOMES.APPLIED) applied++;
      else if (r.outcome === OUTCOMES.DUPLICATE) duplicate++;
      else dominated++;
    }
    return { batch_seq: req.batch_seq, applied, dominated, duplicate };
  };

  /** Write (unary and pipe): one KeyRecord; synchronous up to the engine call so a pipe message joins one group commit. */
  readonly #write = (req: pb.WriteRequest__Output, ctx: RequestContext): Promise<pb.WriteResponse> => {
    let p: Promise<pb.WriteResponse>;
    this.#inFlight++;
    try {
      p = this.#startWrite(req, ctx);
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      (res) => {
        this.#done();
        this.#count('Write', 'OK');
        return res;
      },
      (err: unknown) => {
        this.#done();
        this.#count('Write', PairdbError.from(err).code);
        throw err;
      },
    );
  };

  #startWrite(req: pb.WriteRequest__Output, ctx: RequestContext): Promise<pb.WriteResponse> {
    this.#assertServing();
    if (Date.now() >= ctx.deadlineMs) {
      throw new PairdbError('TIMEOUT', 'deadline passed before the write started', { outcome: 'not_applied' });
    }
    const record = req.record;
    if (!record) throw invalid('Write needs a record');
    const purpose = PURPOSES[String(req.purpose)];
    if (!purpose) throw invalid(`Write purpose ${String(req.purpose)} is not accepted`);
    // Only CLIENT writes are fenced: hints, read repair, repair and streams carry data the new placement needs.
    checkFence(purpose === 'CLIENT', requestEpochFromWire(req.topology_epoch), this.#fenceEpoch());
    checkTenantKey(record.tenant_id, record.key);
    if (record.versions.length === 0) throw invalid('a write record needs at least one version');
    if (purpose === 'CLIENT' && record.versions.length !== 1) throw invalid('a CLIENT write carries exactly one version');
    const engine = this.#engine;
    if (!engine) {
      // Echo mode: the same RPC path, no storage work.
      const clock = record.versions[0]!.clock;
      return Promise.resolve({ outcome: OUTCOMES.APPLIED, current_clock: clock ?? { entries: [] }, version_count: 1 });
    }
    const versions = record.versions.map(parseVersion);
    let recentWrites: WriteIdEntry[] | undefined;
    if (purpose !== 'CLIENT' && record.recent_writes.length > 0) {
      recentWrites = record.recent_writes.map((e) => {
        const ts = Number(e.timestamp_ms);
        if (e.write_id.length > MAX_WRITE_ID_BYTES || !Number.isSafeInteger(ts) || ts < 0) throw invalid('bad recent_writes entry');
        return { writeId: e.write_id, timestampMs: ts };
      });
    }
    return engine
      .writeVersions(record.tenant_id, record.key, versions, { purpose, deadlineMs: ctx.deadlineMs, recentWrites })
      .then(writeResponse);
  }

  /** Read (unary and pipe): all stored versions incl. tombstones, plus the write-id memory. */
  readonly #read = (req: pb.ReadRequest__Output, _ctx: RequestContext): Promise<pb.ReadResponse> => {
    try {
      this.#assertServing();
      checkFence(true, requestEpochFromWire(req.topology_epoch), this.#fenceEpoch());
      checkTenantKey(req.tenant_id, req.key);
      const engine = this.#engine;
      if (!engine) {
        this.#count('Read', 'OK');
        return Promise.resolve({ record: { tenant_id: req.tenant_id, key: req.key, versions: [], recent_writes: [] }, found: false });
      }
      return engine.read(req.tenant_id, req.key).then(
        ({ versions, wids }) => {
          this.#count('Read', 'OK');
          return {
            record: {
              tenant_id: req.tenant_id,
              key: req.key,
              versions: versions.map(versionToWire),
              recent_writes: wids.map((e) => ({ write_id: e.writeId, timestamp_ms: e.timestampMs })),
            },
            found: versions.length > 0,
          };
        },
        (err: unknown) => {
          // A table checksum failure is CHECKSUM_MISMATCH (gRPC DATA_LOSS): never a partial answer (§7).
          this.#count('Read', PairdbError.from(err).code);
          throw err;
        },
      );
    } catch (err) {
      this.#count('Read', PairdbError.from(err).code);
      return Promise.reject(err);
    }
  };

  /**
   * Health (rpc.md §7): NOT_SERVING while not ready; DEGRADED while the disk guard is at warn or worse or a table
   * is suspect (storage-engine.md §6, §9) — still serving reads, and writes as the disk state allows.
   */
  readonly #health = (): Promise<pb.HealthResponse> => {
    const engine = this.#engine;
    const disk = engine?.diskState ?? 'ok';
    const suspect = engine?.suspectTables ?? [];
    const details: Record<string, string> = {
      engine: this.#config.engine ?? 'lsm',
      commitlog_sync: this.#config.commitlogSync,
      disk_state: disk,
    };
    const degraded: string[] = [];
    if (disk !== 'ok') degraded.push(`disk_${disk}`);
    if (suspect.length > 0) {
      degraded.push('suspect_tables');
      details.suspect_tables = suspect.join(',');
    }
    // Tables set aside at start (--quarantine-corrupt): their data is missing here until repair refills it.
    const quarantined = engine?.quarantinedTables ?? [];
    if (quarantined.length > 0) {
      degraded.push('quarantined_tables');
      details.quarantined_tables = quarantined.join(',');
    }
    if (degraded.length > 0) details.degraded = degraded.join(',');
    return Promise.resolve({
      node_id: this.#config.nodeId,
      state: !this.#ready ? 'STATE_NOT_SERVING' : degraded.length > 0 ? 'STATE_DEGRADED' : 'STATE_SERVING',
      generation: String(this.#generation),
      disk_usage_percent: (engine?.diskUsageRatio ?? 0) * 100,
      writes_throttled: disk === 'throttle',
      writes_rejected: this.#failed || disk === 'reject',
      fence_epoch: this.#fenceEpoch().toString(),
      details,
    });
  };

  /**
   * Gossip (rpc.md §6, cluster.md §10): push-pull of the member table. A higher fence is made durable before the
   * answer, so a coordinator's Barrier push returns only once every answering node enforces it.
   */
  readonly #gossipRpc = async (req: pb.GossipRequest__Output): Promise<pb.GossipResponse> => {
    try {
      const gossip = this.#gossip;
      if (!gossip || !this.#accepting) throw new PairdbError('NOT_READY', `storage node ${this.#config.nodeId} is not serving`);
      const fence = requestEpochFromWire(req.fence_epoch);
      if (fence > this.#fenceEpoch()) await this.#persistFence(fence);
      const res = gossip.handle(req);
      this.#count('Gossip', 'OK');
      return res;
    } catch (err) {
      this.#count('Gossip', PairdbError.from(err).code);
      throw err;
    }
  };

  /** The fence this node enforces: the persisted one (the echo engine, which persists nothing, uses gossip's). */
  #fenceEpoch(): bigint {
    const engine = this.#engine;
    return engine ? BigInt(engine.fenceEpoch) : (this.#gossip?.membership.fenceEpoch ?? 0n);
  }

  /** Writes a higher fence to the manifest (storage-engine.md §13); resolves once it is durable and enforced. */
  async #persistFence(epoch: bigint): Promise<void> {
    const engine = this.#engine;
    if (!engine || epoch <= BigInt(engine.fenceEpoch)) return;
    if (epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`fence_epoch ${epoch} is above 2^53 − 1`);
    try {
      await engine.raiseFence(Number(epoch));
    } catch (err) {
      const e = PairdbError.from(err);
      throw new PairdbError(e.code, `persisting topology fence ${epoch}: ${e.message}`, { cause: err, outcome: e.outcome });
    }
    this.#log.info({ fence_epoch: epoch.toString() }, 'topology fence persisted');
  }

  /** The cheap load figures gossip carries (MemberState): no I/O, read once per round. */
  #load(): MemberLoad {
    const engine = this.#engine;
    const s = engine?.stats();
    return {
      diskUsagePercent: (engine?.diskUsageRatio ?? 0) * 100,
      keyCount: BigInt(s?.keyCount ?? 0),
      loadBytes: BigInt((s?.tableBytes ?? 0) + (s?.commitlogBytes ?? 0)),
      gcGraceMs: BigInt(engine?.gcGraceMs ?? DEFAULT_GC_GRACE_MS),
    };
  }

  readonly #stats = (): Promise<pb.StatsResponse> => {
    const s = this.#engine?.stats();
    return Promise.resolve({
      node_id: this.#config.nodeId,
      key_count: String(s?.keyCount ?? 0),
      tombstone_count: String(s?.tombstoneCount ?? 0),
      memtable_bytes: String(s?.memtableBytes ?? 0),
      commitlog_bytes: String(s?.commitlogBytes ?? 0),
      commitlog_segments: s?.segments ?? 0,
      sstables_per_level: Object.fromEntries([...(s?.levels ?? [])].map(([l, x]) => [l, x.tables])),
      sstable_bytes: String(s?.tableBytes ?? 0),
      sstable_bytes_per_level: Object.fromEntries([...(s?.levels ?? [])].map(([l, x]) => [l, String(x.bytes)])),
      cache_hit_rate: 0,
      row_cache_hit_rate: s?.rowCacheHitRate ?? 0,
      block_cache_hit_rate: s?.blockCacheHitRate ?? 0,
      pending_compactions: s?.pendingCompactions ?? 0,
      gc_grace_ms: String(this.#engine?.gcGraceMs ?? DEFAULT_GC_GRACE_MS),
      disk_usage_percent: (s?.diskUsageRatio ?? 0) * 100,
      disk_state: s?.diskState ?? 'ok',
    });
  };

  /**
   * Flush (rpc.md §6): memtable → L0 and wait for the EDIT commit. The answer names the L0 tables that appeared
   * meanwhile (a size-triggered flush already running is waited for and counted too); an empty memtable answers
   * zeros. `wait` only sets the client's deadline (60 s): the flush is always waited for, like `nodetool flush`.
   */
  readonly #flush = async (): Promise<pb.FlushResponse> => {
    const engine = this.#engine;
    if (!engine) return { sstables_written: 0, entries_flushed: '0', bytes_written: '0', files: [] };
    const before = new Set((engine.manifestState.tables.get(0) ?? []).map((t) => t.file));
    await engine.flush();
    const added = (engine.manifestState.tables.get(0) ?? []).filter((t) => !before.has(t.file)).sort((a, b) => a.file - b.file);
    return {
      sstables_written: added.length,
      entries_flushed: String(added.reduce((n, t) => n + t.keys, 0)),
      bytes_written: String(added.reduce((n, t) => n + t.size, 0)),
      files: added.map((t) => String(t.file)),
    };
  };

  /**
   * Compact (rpc.md §6): `all_levels` = every level top-down until the data sits in one level, else `level` into the
   * next; `drop` (only with all_levels) omits keys matching any RangeSpec. One Compact job runs at a time per node: a
   * second call while one runs fails COMPACTION_IN_PROGRESS (FAILED_PRECONDITION), whatever its levels (the engine
   * runs one compaction at a time anyway). `wait` false answers at once with the job id and `completed` false; the
   * job's outcome is logged. bytes_reclaimed = bytes read − bytes written (0 if the output grew).
   */
  readonly #compact = async (req: pb.CompactRequest__Output): Promise<pb.CompactResponse> => {
    this.#assertServing();
    const engine = this.#engine;
    if (req.drop.length > 0 && !req.all_levels) throw invalid('drop needs all_levels');
    const drop = req.drop.length > 0 ? dropPredicate(req.drop) : undefined;
    if (!req.all_levels && (!Number.isInteger(req.level) || req.level < 0 || req.level >= (engine?.maxLevel ?? 6))) {
      const last = engine?.maxLevel ?? 6;
      throw invalid(`level ${req.level} cannot be compacted: give 0..${last - 1} (L${last} is the last level)`);
    }
    const id = randomUUID();
    if (!engine) return { job_id: id, completed: true, bytes_reclaimed: '0', entries_dropped: '0', tables_in: 0, tables_out: 0 };
    const running = this.#compactJob;
    if (running) {
      throw new PairdbError('COMPACTION_IN_PROGRESS', `compaction job ${running.id} (${running.levels}) is still running on node ${this.#config.nodeId}`, {
        hint: 'wait for it to finish, then retry',
      });
    }
    const levels = req.all_levels ? 'all levels' : `L${req.level}`;
    const started = Date.now();
    const job = engine.compact({ ...(req.all_levels ? {} : { level: req.level }), ...(drop ? { drop } : {}) });
    const done = job.then(
      (s) => this.#log.info({ job_id: id, levels, tables_in: s.tablesIn, tables_out: s.tablesOut, bytes_in: s.bytesIn, bytes_out: s.bytesOut, dropped: s.entriesDropped, ms: Date.now() - started }, 'compact job done'),
      (err: unknown) => this.#log.error({ err, job_id: id, levels }, 'compact job failed'),
    );
    const entry: CompactJob = { id, levels, done };
    this.#compactJob = entry;
    void done.finally(() => {
      if (this.#compactJob === entry) this.#compactJob = undefined;
    });
    if (!req.wait) return { job_id: id, completed: false, bytes_reclaimed: '0', entries_dropped: '0', tables_in: 0, tables_out: 0 };
    const s = await job;
    return {
      job_id: id,
      completed: true,
      bytes_reclaimed: String(Math.max(0, s.bytesIn - s.bytesOut)),
      entries_dropped: String(s.entriesDropped),
      tables_in: s.tablesIn,
      tables_out: s.tablesOut,
    };
  };

  /**
   * Snapshot (rpc.md §6, cli-and-ops.md §2.6): `list` → every snapshot; `clear` → delete that one (unknown →
   * SNAPSHOT_NOT_FOUND); otherwise create `name` (empty = the UTC time; taken → SNAPSHOT_EXISTS): the engine flushes
   * and hard-links its live tables plus a manifest naming exactly them (engine.snapshot, snapshot.ts).
   */
  readonly #snapshot = async (req: pb.SnapshotRequest__Output): Promise<pb.SnapshotResponse> => {
    this.#assertServing();
    const modes = [req.list, req.clear !== '', req.name !== ''].filter(Boolean).length;
    if (modes > 1) throw invalid('give one of name (create), list or clear');
    const engine = this.#engine;
    const store = this.#snapshots;
    if (!engine || !store) throw new PairdbError('UNIMPLEMENTED', 'the echo engine stores nothing to snapshot');
    if (req.list) return { snapshots: (await store.list()).map(snapshotToWire) };
    if (req.clear !== '') {
      const info = await store.clear(req.clear);
      this.#log.info({ snapshot: info.name }, 'snapshot cleared');
      return { snapshots: [snapshotToWire(info)] };
    }
    const now = Date.now();
    const info = await store.create(req.name || defaultSnapshotName(now), now, (dir) => engine.snapshot(dir));
    this.#log.info({ snapshot: info.name, sstables: info.sstables, bytes: info.bytes }, 'snapshot created');
    return { snapshots: [snapshotToWire(info)] };
  };

  /**
   * ScanRange (rpc.md §6, storage-engine.md §8): the engine's ordered merge scan filtered by the RangeSpec, after
   * `resume_after`, as KeyRecords in batches of ≤ batch_size (0 = 1000, max 1000) records and ≤ 4 MiB (one larger
   * record alone); the last batch has done = true and the cursor of the last record. A table checksum failure ends
   * the stream CHECKSUM_MISMATCH (DATA_LOSS). Stops when the client cancels or the deadline passes.
   */
  readonly #scanRange = async (req: pb.ScanRangeRequest__Output, ctx: StreamContext): Promise<void> => {
    try {
      this.#assertServing();
      const spec = rangeSpecFromWire(req.spec);
      const after = cursorToCkey(req.resume_after);
      const batcher = new ScanBatcher(req.batch_size, after ? req.resume_after : null);
      const engine = this.#engine;
      if (engine) {
        // Leaving the loop (a send that throws on cancel) returns the generator, which unpins its tables.
        for await (const e of engine.scan({ ranges: spec.ranges, tenants: spec.tenants, after, includeExpiredTombstones: req.include_expired_tombstones })) {
          ctx.check();
          const full = batcher.add(keyRecordOf(e, req.keys_only));
          if (full) await ctx.send(full);
        }
      }
      await ctx.send(batcher.finish());
      this.#count('ScanRange', 'OK');
    } catch (err) {
      this.#count('ScanRange', PairdbError.from(err).code);
      throw err;
    }
  };

  /**
   * RangeDigest (rpc.md §6, storage-engine.md §8): one RangeDigestResult per DigestSpec, in order; depth 0 = 10,
   * above 16 INVALID_ARGUMENT. Every spec is checked before the first digest is computed.
   */
  readonly #rangeDigest = async (req: pb.RangeDigestRequest__Output, ctx: StreamContext): Promise<void> => {
    try {
      this.#assertServing();
      if (req.depth > MAX_DIGEST_DEPTH) throw invalid(`depth ${req.depth} is above ${MAX_DIGEST_DEPTH}`);
      const depth = req.depth === 0 ? DEFAULT_DIGEST_DEPTH : req.depth;
      const specs = req.specs.map((s, i) => ({ range: ringRangeFromWire(s.range, `specs[${i}].range`), tenants: tenantsFromWire(s.tenant_ids) }));
      const engine = this.#engine;
      for (let i = 0; i < specs.length; i++) {
        ctx.check();
        const { range, tenants } = specs[i]!;
        if (!engine) throw new PairdbError('UNIMPLEMENTED', 'the echo engine stores nothing to digest');
        const d = await engine.rangeDigest(range, { depth, tenants, signal: ctx.signal });
        await ctx.send({
          spec_index: i,
          leaves: d.leaves.map((hash, j) => ({ hash, key_count: String(d.counts[j]) })),
          key_count: String(d.keyCount),
          root: d.root,
        });
      }
      this.#count('RangeDigest', 'OK');
    } catch (err) {
      this.#count('RangeDigest', PairdbError.from(err).code);
      throw err;
    }
  };

  /** StartStreaming (rpc.md §6, cluster.md §11.4): starts or joins an outgoing stream. */
  readonly #startStreaming = async (req: pb.StartStreamingRequest__Output): Promise<pb.StartStreamingResponse> => {
    try {
      this.#assertServing();
      const res = this.#streamSender().start(req);
      this.#count('StartStreaming', 'OK');
      return res;
    } catch (err) {
      this.#count('StartStreaming', PairdbError.from(err).code);
      throw err;
    }
  };

  /** GetStreamStatus (rpc.md §6): STREAM_NOT_FOUND when unknown (e.g. after a restart: streams live in memory). */
  readonly #getStreamStatus = async (req: pb.GetStreamStatusRequest__Output): Promise<pb.StreamStatus> => this.#streamSender().status(req.stream_id);

  /** StopStreaming (rpc.md §6): idempotent; answers the final status. */
  readonly #stopStreaming = async (req: pb.StopStreamingRequest__Output): Promise<pb.StreamStatus> => this.#streamSender().stop(req.stream_id);

  #streamSender(): StreamSender {
    if (!this.#streams) throw new PairdbError('UNIMPLEMENTED', 'the echo engine stores nothing to stream');
    return this.#streams;
  }

  #readiness(): { ready: boolean; checks: Record<string, unknown> } {
    const engine = this.#config.engine === 'echo' ? 'echo' : (this.#engine?.status ?? 'opening');
    // Disk pressure is reported, never unready (cli-and-ops.md §3): the node still serves reads.
    const disk = this.#engine?.diskState ?? 'ok';
    return { ready: this.#ready, checks: { engine, grpc: this.#accepting ? 'serving' : 'not_serving', disk } };
  }

  #fatal(err: Error): void {
    this.#failed = true;
    this.#ready = false;
    this.#onFatal(err);
  }

  /**
   * prom-client registry of this daemon instance: the engine's §9 metrics (engine-metrics.ts, fed by the engine's
   * observer and by stats() at scrape time) plus the daemon's own. Read at scrape time where possible (no hot-path cost).
   */
  #buildMetrics(): Registry {
    const registry = new Registry();
    const nodeId = this.#config.nodeId;
    const stats = () => this.#engine?.stats();
    if ((this.#config.engine ?? 'lsm') === 'lsm') this.#engineMetrics = new EngineMetrics(registry, nodeId, stats);
    const self = this;
    new Gauge({
      name: 'pairdb_ready',
      help: '1 when the storage node serves requests',
      registers: [registry],
      collect() {
        this.set(self.#ready ? 1 : 0);
      },
    });
    /** A counter following totals this daemon keeps: each scrape adds what grew since the last one. */
    const scrapedCounter = (name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>) => {
      const seen = new Map<string, number>();
      new Counter({
        name,
        help,
        labelNames: ['node_id', ...labelNames],
        registers: [registry],
        collect() {
          for (const [labels, total] of read()) {
            const k = JSON.stringify(labels);
            const delta = total - (seen.get(k) ?? 0);
            if (delta > 0) this.inc({ node_id: nodeId, ...labels }, delta);
            seen.set(k, total);
          }
        },
      });
    };
    scrapedCounter('pairdb_storage_rpc_total', 'Storage RPCs by method and API code', ['rpc', 'code'], () =>
      [...self.#rpcCounts].map(([k, v]): [Record<string, string>, number] => {
        const [rpc, code] = k.split('|') as [string, string];
        return [{ rpc, code }, v];
      }),
    );
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['node_id'],
        registers: [registry],
        collect() {
          this.set({ node_id: nodeId }, read());
        },
      });
    scrapedCounter('pairdb_storage_stream_keys_total', 'Records of outgoing streams acked by their targets', [], () => [[{}, self.#streams?.keysSent ?? 0]]);
    scrapedCounter('pairdb_storage_stream_bytes_total', 'Bytes of outgoing streams acked by their targets', [], () => [[{}, self.#streams?.bytesSent ?? 0]]);
    new Gauge({
      name: 'pairdb_storage_gossip_members',
      help: 'Members of this node\'s gossip table by local liveness',
      labelNames: ['node_id', 'state'],
      registers: [registry],
      collect() {
        const counts = self.#gossip?.counts();
        if (!counts) return;
        // A member that left is gone as far as traffic goes: it counts as down.
        this.set({ node_id: nodeId, state: 'alive' }, counts.alive);
        this.set({ node_id: nodeId, state: 'suspect' }, counts.suspect);
        this.set({ node_id: nodeId, state: 'down' }, counts.down + counts.left);
      },
    });
    gauge('pairdb_storage_memtable_entries', 'Keys with a live version', () => stats()?.keyCount ?? 0);
    gauge('pairdb_storage_disk_used_bytes', 'Used bytes of the fullest file system under the data directory', () => stats()?.diskUsedBytes ?? 0);
    gauge('pairdb_storage_disk_capacity_bytes', 'Size of that file system', () => stats()?.diskCapacityBytes ?? 0);
    return registry;
  }
}

function writeResponse(r: WriteResult): pb.WriteResponse {
  const current = r.current;
  return {
    outcome: OUTCOMES[r.outcome],
    current_clock: clockToWire(current.length === 1 ? current[0]!.clock : mergeAll(current.map((v) => v.clock))),
    version_count: current.length,
  };
}
