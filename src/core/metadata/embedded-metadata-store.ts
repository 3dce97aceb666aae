import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { PairdbError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { DataDirLock, type LockOptions } from './data-dir-lock.js';
import type {
  ListPage,
  MetadataStore,
  MigrationRecord,
  MigrationGuard,
  MigrationTaskRecord,
  RepairRunRecord,
  StorageNodeRecord,
  TenantRecord,
  TopologyChange,
  TopologyRecord,
} from './metadata-store.js';

/**
 * The embedded file store of one coordinator (cluster.md §15): `<data_dir>/metadata/metadata.json` =
 * {format: 1, schema_version, tenants, storage_nodes, topology, coordinator: {id, hlc_floor}, migrations: {id:
 * {…, tasks}}, repair_runs}, with the SQL schema's field names (snake_case, ISO-8601 times) and checks done in
 * code. Every change rewrites the file temp → fsync → rename → fsync dir, so any copy of it is consistent;
 * `<data_dir>/LOCK` keeps a second coordinator out. Reads are served from memory; a change is visible only once
 * it is durable.
 */

export const METADATA_FORMAT = 1;
export const SCHEMA_VERSION = 1;

export interface EmbeddedMetadataStoreOptions {
  readonly dataDir: string;
  readonly coordinatorId: string;
  readonly nowMs?: () => number;
  readonly logger?: Logger;
  readonly lock?: LockOptions;
}

interface State {
  tenants: Map<string, TenantRecord>;
  nodes: Map<string, StorageNodeRecord>;
  migrations: Map<string, MigrationRecord>;
  topology: TopologyRecord;
  hlcFloor: number;
  repairRuns: Map<string, RepairRunRecord>;
}

const TENANT_ID = /^[A-Za-z0-9._-]{1,255}$/;
const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const MIGRATION_ID = /^mig-[0-9a-f-]{36}$/;
const NODE_STATES = new Set(['bootstrapping', 'normal', 'leaving', 'removed', 'failed']);
const MIGRATION_TYPES = new Set(['node_addition', 'node_removal', 'replication_change']);
const MIGRATION_STATUSES = new Set(['pending', 'in_progress', 'completed', 'failed', 'cancelled']);
const PHASES = new Set(['prepare', 'streaming', 'handover_write', 'hint_replay', 'handover_read', 'done']);
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REPAIR_STATUSES = new Set(['running', 'completed', 'failed', 'aborted']);
/** repair_runs is history: the file keeps the newest runs only, so it does not grow without bound. */
export const MAX_REPAIR_RUNS = 100;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function corrupt(file: string, why: string): PairdbError {
  return new PairdbError('CORRUPT_FILE', `${file}: ${why}`, { hint: 'restore the metadata file from a backup copy' });
}

/** Field readers that turn a bad file into CORRUPT_FILE naming the field. */
class Reader {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly obj: Record<string, unknown>,
  ) {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw corrupt(file, `${where} is not an object`);
  }
  #bad(field: string, what: string): never {
    throw corrupt(this.file, `${this.where}.${field} ${what}`);
  }
  str(field: string, re?: RegExp): string {
    const v = this.obj[field];
    if (typeof v !== 'string' || (re && !re.test(v))) this.#bad(field, 'is not a valid string');
    return v;
  }
  strOrNull(field: string): string | null {
    return this.obj[field] === null || this.obj[field] === undefined ? null : this.str(field);
  }
  int(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.#bad(field, `is not an integer in ${min}..${max}`);
    return v;
  }
  intOrNull(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | null {
    return this.obj[field] === null || this.obj[field] === undefined ? null : this.int(field, min, max);
  }
  bool(field: string): boolean {
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.#bad(field, 'is not a boolean');
    return v;
  }
  time(field: string): number {
    const ms = Date.parse(this.str(field));
    if (!Number.isFinite(ms)) this.#bad(field, 'is not an ISO-8601 time');
    return ms;
  }
  timeOrNull(field: string): number | null {
    return this.obj[field] === null || this.obj[field] === undefined ? null : this.time(field);
  }
  oneOf<T extends string>(field: string, set: Set<string>): T {
    const v = this.str(field);
    if (!set.has(v)) this.#bad(field, `is not one of ${[...set].join(', ')}`);
    return v as T;
  }
  obj2(field: string): Record<string, unknown> {
    const v = this.obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.#bad(field, 'is not an object');
    return v as Record<string, unknown>;
  }
}

function tenantToJson(t: TenantRecord): Record<string, unknown> {
  return {
    tenant_id: t.tenantId,
    replication_factor: t.replicationFactor,
    conflict_resolution: t.conflictResolution,
    write_rate_per_min: t.writeRatePerMin,
    read_rate_per_min: t.readRatePerMin,
    created_at: iso(t.createdAtMs),
    updated_at: iso(t.updatedAtMs),
    version: t.version,
  };
}

function tenantFromJson(file: string, id: string, o: Record<string, unknown>): TenantRecord {
  const r = new Reader(file, `tenants.${id}`, o);
  const t: TenantRecord = {
    tenantId: r.str('tenant_id', TENANT_ID),
    replicationFactor: r.int('replication_factor', 1, 10),
    conflictResolution: r.oneOf('conflict_resolution', new Set(['lww', 'siblings'])),
    writeRatePerMin: r.intOrNull('write_rate_per_min', 1),
    readRatePerMin: r.intOrNull('read_rate_per_min', 1),
    createdAtMs: r.time('created_at'),
    updatedAtMs: r.time('updated_at'),
    version: r.int('version', 1),
  };
  if (t.tenantId !== id) throw corrupt(file, `tenants.${id} holds tenant ${t.tenantId}`);
  return t;
}

function nodeToJson(n: StorageNodeRecord): Record<string, unknown> {
  return {
    node_id: n.nodeId,
    host: n.host,
    port: n.port,
    virtual_nodes: n.virtualNodes,
    state: n.state,
    created_at: iso(n.createdAtMs),
    updated_at: iso(n.updatedAtMs),
    state_changed_at: iso(n.stateChangedAtMs),
  };
}

function nodeFromJson(file: string, id: string, o: Record<string, unknown>): StorageNodeRecord {
  const r = new Reader(file, `storage_nodes.${id}`, o);
  const n: StorageNodeRecord = {
    nodeId: r.str('node_id', NODE_ID),
    host: r.str('host'),
    port: r.int('port', 1, 65535),
    virtualNodes: r.int('virtual_nodes', 1, 1024),
    state: r.oneOf('state', NODE_STATES),
    createdAtMs: r.time('created_at'),
    updatedAtMs: r.time('updated_at'),
    stateChangedAtMs: r.time('state_changed_at'),
  };
  if (n.nodeId !== id) throw corrupt(file, `storage_nodes.${id} holds node ${n.nodeId}`);
  return n;
}

function taskToJson(t: MigrationTaskRecord): Record<string, unknown> {
  return {
    task_id: t.taskId,
    kind: t.kind,
    source_node_id: t.sourceNodeId,
    target_node_id: t.targetNodeId,
    ranges: t.ranges,
    tenant_ids: t.tenantIds,
    state: t.state,
    attempts: t.attempts,
    keys_total: t.keysTotal,
    keys_streamed: t.keysStreamed,
    bytes_streamed: t.bytesStreamed,
    checkpoint_tenant: t.checkpointTenant,
    checkpoint_key: t.checkpointKey,
    updated_at: iso(t.updatedAtMs),
  };
}

function rangesFromJson(file: string, where: string, v: unknown): Array<readonly [string, string]> {
  if (!Array.isArray(v)) throw corrupt(file, `${where} is not a list of ranges`);
  return v.map((p) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'string' && /^\d{1,20}$/.test(x))) {
      throw corrupt(file, `${where} holds a malformed range`);
    }
    return [p[0] as string, p[1] as string] as const;
  });
}

function stringListOrNull(file: string, where: string, v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw corrupt(file, `${where} is not a list of strings`);
  return v as string[];
}

function taskFromJson(file: string, where: string, o: Record<string, unknown>): MigrationTaskRecord {
  const r = new Reader(file, where, o);
  return {
    taskId: r.int('task_id'),
    kind: r.oneOf('kind', new Set(['stream', 'repair'])),
    sourceNodeId: r.strOrNull('source_node_id'),
    targetNodeId: r.str('target_node_id', NODE_ID),
    ranges: rangesFromJson(file, `${where}.ranges`, o.ranges),
    tenantIds: stringListOrNull(file, `${where}.tenant_ids`, o.tenant_ids),
    state: r.oneOf('state', new Set(['pending', 'running', 'completed', 'failed'])),
    attempts: r.int('attempts'),
    keysTotal: r.int('keys_total'),
    keysStreamed: r.int('keys_streamed'),
    bytesStreamed: r.int('bytes_streamed'),
    checkpointTenant: r.strOrNull('checkpoint_tenant'),
    checkpointKey: r.strOrNull('checkpoint_key'),
    updatedAtMs: r.time('updated_at'),
  };
}

function migrationToJson(m: MigrationRecord): Record<string, unknown> {
  return {
    migration_id: m.migrationId,
    type: m.type,
    node_id: m.nodeId,
    tenant_id: m.tenantId,
    old_rf: m.oldRf,
    new_rf: m.newRf,
    status: m.status,
    phase: m.phase,
    force: m.force,
    rf_groups: m.rfGroups,
    max_rf: m.maxRf,
    keys_migrated: m.keysMigrated,
    total_keys: m.totalKeys,
    driver_generation: m.driverGeneration,
    error_message: m.errorMessage,
    cleanup: m.cleanup.map((c) => ({ node_id: c.nodeId, ranges: c.ranges, tenant_ids: c.tenantIds })),
    created_at: iso(m.createdAtMs),
    updated_at: iso(m.updatedAtMs),
    deadline_at: isoOrNull(m.deadlineAtMs),
    started_at: isoOrNull(m.startedAtMs),
    completed_at: isoOrNull(m.completedAtMs),
    cleanup_after: isoOrNull(m.cleanupAfterMs),
    cleaned_up_at: isoOrNull(m.cleanedUpAtMs),
    tasks: m.tasks.map(taskToJson),
  };
}

function migrationFromJson(file: string, id: string, o: Record<string, unknown>): MigrationRecord {
  const where = `migrations.${id}`;
  const r = new Reader(file, where, o);
  const type = r.oneOf<MigrationRecord['type']>('type', MIGRATION_TYPES);
  const rfGroupsRaw = o.rf_groups;
  let rfGroups: Record<string, string[]> | null = null;
  if (rfGroupsRaw !== null && rfGroupsRaw !== undefined) {
    const g = new Reader(file, `${where}.rf_groups`, rfGroupsRaw as Record<string, unknown>);
    rfGroups = {};
    for (const [k, v] of Object.entries(g.obj)) rfGroups[k] = stringListOrNull(file, `${where}.rf_groups.${k}`, v) ?? [];
  }
  if (!Array.isArray(o.cleanup)) throw corrupt(file, `${where}.cleanup is not a list`);
  if (!Array.isArray(o.tasks)) throw corrupt(file, `${where}.tasks is not a list`);
  const m: MigrationRecord = {
    migrationId: r.str('migration_id', MIGRATION_ID),
    type,
    nodeId: r.strOrNull('node_id'),
    tenantId: r.strOrNull('tenant_id'),
    oldRf: r.intOrNull('old_rf', 1, 10),
    newRf: r.intOrNull('new_rf', 1, 10),
    status: r.oneOf('status', MIGRATION_STATUSES),
    phase: r.oneOf('phase', PHASES),
    force: r.bool('force'),
    rfGroups,
    maxRf: r.intOrNull('max_rf', 1, 10),
    keysMigrated: r.int('keys_migrated'),
    totalKeys: r.int('total_keys'),
    driverGeneration: r.int('driver_generation'),
    errorMessage: r.strOrNull('error_message'),
    cleanup: (o.cleanup as unknown[]).map((c, i) => {
      const cr = new Reader(file, `${where}.cleanup[${i}]`, c as Record<string, unknown>);
      return {
        nodeId: cr.str('node_id', NODE_ID),
        ranges: rangesFromJson(file, `${where}.cleanup[${i}].ranges`, cr.obj.ranges),
        tenantIds: stringListOrNull(file, `${where}.cleanup[${i}].tenant_ids`, cr.obj.tenant_ids),
      };
    }),
    createdAtMs: r.time('created_at'),
    updatedAtMs: r.time('updated_at'),
    deadlineAtMs: r.timeOrNull('deadline_at'),
    startedAtMs: r.timeOrNull('started_at'),
    completedAtMs: r.timeOrNull('completed_at'),
    cleanupAfterMs: r.timeOrNull('cleanup_after'),
    cleanedUpAtMs: r.timeOrNull('cleaned_up_at'),
    tasks: (o.tasks as unknown[]).map((t, i) => taskFromJson(file, `${where}.tasks[${i}]`, t as Record<string, unknown>)),
  };
  if (m.migrationId !== id) throw corrupt(file, `${where} holds migration ${m.migrationId}`);
  // The SQL CHECKs of cluster.md §15.
  const isRf = type === 'replication_change';
  if (isRf !== (m.tenantId !== null && m.oldRf !== null && m.newRf !== null)) throw corrupt(file, `${where}: tenant_id/old_rf/new_rf do not match the type`);
  if (!isRf !== (m.nodeId !== null)) throw corrupt(file, `${where}: node_id does not match the type`);
  return m;
}

function repairRunToJson(r: RepairRunRecord): Record<string, unknown> {
  return {
    run_id: r.runId,
    tenant_id: r.tenantId,
    node_id: r.nodeId,
    status: r.status,
    started_at: iso(r.startedAtMs),
    finished_at: isoOrNull(r.finishedAtMs),
    ranges_total: r.rangesTotal,
    ranges_done: r.rangesDone,
    ranges_skipped: r.rangesSkipped,
    keys_repaired: r.keysRepaired,
    error_message: r.errorMessage,
  };
}

function repairRunFromJson(file: string, id: string, o: Record<string, unknown>): RepairRunRecord {
  const r = new Reader(file, `repair_runs.${id}`, o);
  const run: RepairRunRecord = {
    runId: r.str('run_id', RUN_ID),
    tenantId: r.strOrNull('tenant_id'),
    nodeId: r.strOrNull('node_id'),
    status: r.oneOf('status', REPAIR_STATUSES),
    startedAtMs: r.time('started_at'),
    finishedAtMs: r.timeOrNull('finished_at'),
    rangesTotal: r.int('ranges_total', 0, 2 ** 31 - 1),
    rangesDone: r.int('ranges_done', 0, 2 ** 31 - 1),
    rangesSkipped: r.int('ranges_skipped', 0, 2 ** 31 - 1),
    keysRepaired: r.int('keys_repaired'),
    errorMessage: r.strOrNull('error_message'),
  };
  if (run.runId !== id) throw corrupt(file, `repair_runs.${id} holds run ${run.runId}`);
  if (run.tenantId !== null && !TENANT_ID.test(run.tenantId)) throw corrupt(file, `repair_runs.${id}.tenant_id is not a valid tenant id`);
  if (run.nodeId !== null && !NODE_ID.test(run.nodeId)) throw corrupt(file, `repair_runs.${id}.node_id is not a valid node id`);
  return run;
}

/** The same checks as on load, so a bad record is refused before it reaches the file. */
function checkRepairRun(run: RepairRunRecord): void {
  try {
    repairRunFromJson('repair run', run.runId, JSON.parse(JSON.stringify(repairRunToJson(run))) as Record<string, unknown>);
  } catch (err) {
    throw new PairdbError('INVALID_REQUEST', `repair run ${run.runId} fails the schema checks: ${(err as Error).message}`, { cause: err });
  }
}

const newestFirst = (a: RepairRunRecord, b: RepairRunRecord): number => b.startedAtMs - a.startedAtMs || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);

/** Validates a migration before it is written (the same CHECKs as on load). */
function checkMigration(m: MigrationRecord): void {
  migrationFromJson('migration', m.migrationId, JSON.parse(JSON.stringify(migrationToJson(m))) as Record<string, unknown>);
}

export class EmbeddedMetadataStore implements MetadataStore {
  readonly backend = 'embedded';
  readonly file: string;
  readonly #opts: EmbeddedMetadataStoreOptions;
  readonly #nowMs: () => number;
  #state: State | undefined;
  #lock: DataDirLock | undefined;
  /** Serializes changes: each one rewrites the whole file. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: EmbeddedMetadataStoreOptions) {
    this.#opts = opts;
    this.#nowMs = opts.nowMs ?? Date.now;
    this.file = join(opts.dataDir, 'metadata', 'metadata.json');
  }

  async open(): Promise<void> {
    if (this.#state) return;
    this.#lock = await DataDirLock.acquire(this.#opts.dataDir, { logger: this.#opts.logger, ...this.#opts.lock });
    try {
      await fs.mkdir(join(this.#opts.dataDir, 'metadata'), { recursive: true });
      // A temp file left by a crash mid-write was never renamed: the previous file is the truth.
      await fs.unlink(`${this.file}.tmp`).catch(() => undefined);
      let text: string | undefined;
      try {
        text = await fs.readFile(this.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (text === undefined) {
        const now = this.#nowMs();
        const fresh: State = {
          tenants: new Map(),
          nodes: new Map(),
          migrations: new Map(),
          topology: { epoch: 0, fenceEpoch: 0, updatedAtMs: now },
          hlcFloor: 0,
          repairRuns: new Map(),
        };
        await this.#write(fresh);
        this.#state = fresh;
      } else {
        this.#state = this.#parse(text);
      }
    } catch (err) {
      await this.#lock.release();
      this.#lock = undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    this.#state = undefined;
    await this.#lock?.release();
    this.#lock = undefined;
  }

  #parse(text: string): State {
    const file = this.file;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw corrupt(file, `not valid JSON (${(err as Error).message})`);
    }
    const r = new Reader(file, 'metadata', doc as Record<string, unknown>);
    if (r.int('format') !== METADATA_FORMAT) throw corrupt(file, `unknown format ${String(r.obj.format)}`);
    const schema = r.int('schema_version');
    if (schema > SCHEMA_VERSION) throw corrupt(file, `schema_version ${schema} is newer than this pairdb (${SCHEMA_VERSION})`);
    const tenants = new Map<string, TenantRecord>();
    for (const [id, o] of Object.entries(r.obj2('tenants'))) tenants.set(id, tenantFromJson(file, id, o as Record<string, unknown>));
    const nodes = new Map<string, StorageNodeRecord>();
    for (const [id, o] of Object.entries(r.obj2('storage_nodes'))) nodes.set(id, nodeFromJson(file, id, o as Record<string, unknown>));
    const migrations = new Map<string, MigrationRecord>();
    for (const [id, o] of Object.entries(r.obj2('migrations'))) migrations.set(id, migrationFromJson(file, id, o as Record<string, unknown>));
    const repairRuns = new Map<string, RepairRunRecord>();
    // Files written before repair runs were recorded may lack the member.
    const runsRaw = r.obj.repair_runs === undefined ? {} : r.obj2('repair_runs');
    for (const [id, o] of Object.entries(runsRaw)) repairRuns.set(id, repairRunFromJson(file, id, o as Record<string, unknown>));
    const t = new Reader(file, 'topology', r.obj2('topology'));
    const c = new Reader(file, 'coordinator', r.obj2('coordinator'));
    const coordId = c.strOrNull('id');
    if (coordId !== null && coordId !== this.#opts.coordinatorId) {
      // One embedded store belongs to one coordinator id: another id would restart its clock from 0.
      throw new PairdbError('CONFIG_INVALID', `${file} belongs to coordinator ${coordId}, not ${this.#opts.coordinatorId}`, {
        hint: `start with --node-id ${coordId} or use another --data-dir`,
      });
    }
    return {
      tenants,
      nodes,
      migrations,
      topology: { epoch: t.int('epoch'), fenceEpoch: t.int('fence_epoch'), updatedAtMs: t.time('updated_at') },
      hlcFloor: c.int('hlc_floor'),
      repairRuns,
    };
  }

  #serialize(s: State): string {
    const sorted = <T>(m: Map<string, T>, f: (v: T) => unknown): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const k of [...m.keys()].sort()) out[k] = f(m.get(k)!);
      return out;
    };
    return `${JSON.stringify(
      {
        format: METADATA_FORMAT,
        schema_version: SCHEMA_VERSION,
        tenants: sorted(s.tenants, tenantToJson),
        storage_nodes: sorted(s.nodes, nodeToJson),
        topology: { epoch: s.topology.epoch, fence_epoch: s.topology.fenceEpoch, updated_at: iso(s.topology.updatedAtMs) },
        coordinator: { id: this.#opts.coordinatorId, hlc_floor: s.hlcFloor },
        migrations: sorted(s.migrations, migrationToJson),
        repair_runs: sorted(s.repairRuns, repairRunToJson),
      },
      null,
      2,
    )}\n`;
  }

  /** temp → fsync → rename → fsync dir: the file is always either the old or the new version. */
  async #write(s: State): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(this.#serialize(s));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, this.file);
    const dir = await fs.open(join(this.#opts.dataDir, 'metadata'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  #current(): State {
    if (!this.#state) throw new PairdbError('SERVICE_UNAVAILABLE', 'metadata store is not open');
    return this.#state;
  }

  /** Runs `change` on a copy of the state, writes it, and only then makes it the current state. */
  #mutate<T>(change: (next: State) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const cur = this.#current();
      const next: State = {
        tenants: new Map(cur.tenants),
        nodes: new Map(cur.nodes),
        migrations: new Map(cur.migrations),
        topology: cur.topology,
        hlcFloor: cur.hlcFloor,
        repairRuns: new Map(cur.repairRuns),
      };
      const result = change(next);
      await this.#write(next);
      this.#state = next;
      return result;
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async getTenant(tenantId: string): Promise<TenantRecord | undefined> {
    return this.#current().tenants.get(tenantId);
  }

  async listTenants(after: string, limit: number): Promise<ListPage<TenantRecord>> {
    const s = this.#current();
    const ids = [...s.tenants.keys()].filter((id) => id > after).sort();
    return { items: ids.slice(0, limit).map((id) => s.tenants.get(id)!), more: ids.length > limit };
  }

  async countTenants(): Promise<number> {
    return this.#current().tenants.size;
  }

  async maxReplicationFactor(): Promise<number> {
    let m = 0;
    for (const t of this.#current().tenants.values()) if (t.replicationFactor > m) m = t.replicationFactor;
    return m;
  }

  createTenant(tenant: TenantRecord): Promise<void> {
    return this.#mutate((s) => {
      if (s.tenants.has(tenant.tenantId)) throw new PairdbError('TENANT_EXISTS', `tenant ${tenant.tenantId} already exists`);
      checkTenant(tenant);
      s.tenants.set(tenant.tenantId, tenant);
    });
  }

  updateTenant(tenant: TenantRecord, expectedVersion: number): Promise<boolean> {
    return this.#mutate((s) => {
      const cur = s.tenants.get(tenant.tenantId);
      if (!cur) throw new PairdbError('TENANT_NOT_FOUND', `tenant ${tenant.tenantId} not found`);
      if (cur.version !== expectedVersion) return false;
      checkTenant(tenant);
      s.tenants.set(tenant.tenantId, tenant);
      return true;
    });
  }

  async listStorageNodes(): Promise<StorageNodeRecord[]> {
    return [...this.#current().nodes.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  async getMigration(migrationId: string): Promise<MigrationRecord | undefined> {
    return this.#current().migrations.get(migrationId);
  }

  async listMigrations(): Promise<MigrationRecord[]> {
    return [...this.#current().migrations.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  async getTopology(): Promise<TopologyRecord> {
    return this.#current().topology;
  }

  commitTopologyChange(change: TopologyChange): Promise<number> {
    return this.#mutate((s) => {
      for (const e of change.expect ?? []) {
        const cur = s.migrations.get(e.migrationId);
        if (!cur || cur.driverGeneration !== e.driverGeneration || cur.phase !== e.phase || cur.status !== e.status) return -1;
      }
      for (const t of change.tenants ?? []) {
        checkTenant(t);
        s.tenants.set(t.tenantId, t);
      }
      for (const n of change.nodes ?? []) {
        if (!NODE_ID.test(n.nodeId) || n.port < 1 || n.port > 65535 || n.virtualNodes < 1 || n.virtualNodes > 1024 || !NODE_STATES.has(n.state)) {
          throw new PairdbError('INVALID_REQUEST', `storage node record ${n.nodeId} fails the schema checks`);
        }
        s.nodes.set(n.nodeId, n);
      }
      for (const m of change.migrations ?? []) {
        checkMigration(m);
        s.migrations.set(m.migrationId, m);
      }
      s.topology = { ...s.topology, epoch: s.topology.epoch + 1, updatedAtMs: this.#nowMs() };
      return s.topology.epoch;
    });
  }

  async saveRepairRun(run: RepairRunRecord): Promise<void> {
    checkRepairRun(run);
    return this.#mutate((s) => {
      s.repairRuns.set(run.runId, run);
      if (s.repairRuns.size > MAX_REPAIR_RUNS) {
        for (const old of [...s.repairRuns.values()].sort(newestFirst).slice(MAX_REPAIR_RUNS)) s.repairRuns.delete(old.runId);
      }
    });
  }

  async listRepairRuns(limit: number): Promise<RepairRunRecord[]> {
    return [...this.#current().repairRuns.values()].sort(newestFirst).slice(0, Math.max(0, limit));
  }

  async lastRepairCompletedAtMs(): Promise<number> {
    let last = 0;
    for (const r of this.#current().repairRuns.values()) {
      if (r.status === 'completed' && r.rangesSkipped === 0 && (r.finishedAtMs ?? 0) > last) last = r.finishedAtMs!;
    }
    return last;
  }

  updateMigration(m: MigrationRecord, expect: MigrationGuard): Promise<boolean> {
    return this.#mutate((s) => {
      const cur = s.migrations.get(m.migrationId);
      if (!cur || cur.driverGeneration !== expect.driverGeneration || cur.phase !== expect.phase || cur.status !== expect.status) return false;
      checkMigration(m);
      s.migrations.set(m.migrationId, m);
      return true;
    });
  }

  async raiseFenceEpoch(fence: number): Promise<void> {
    if (fence <= this.#current().topology.fenceEpoch) return;
    await this.#mutate((s) => {
      if (fence > s.topology.fenceEpoch) s.topology = { ...s.topology, fenceEpoch: fence, updatedAtMs: this.#nowMs() };
    });
  }

  async getHlcFloor(coordinatorId: string): Promise<number> {
    return coordinatorId === this.#opts.coordinatorId ? this.#current().hlcFloor : 0;
  }

  setHlcFloor(coordinatorId: string, floor: number): Promise<void> {
    if (coordinatorId !== this.#opts.coordinatorId) {
      return Promise.reject(new PairdbError('INTERNAL_ERROR', `the embedded store belongs to coordinator ${this.#opts.coordinatorId}`));
    }
    return this.#mutate((s) => {
      // The floor never goes down, even if saves complete out of order.
      if (floor > s.hlcFloor) s.hlcFloor = floor;
    });
  }
}

function checkTenant(t: TenantRecord): void {
  const okRate = (r: number | null): boolean => r === null || (Number.isSafeInteger(r) && r > 0);
  if (
    !TENANT_ID.test(t.tenantId) ||
    !Number.isInteger(t.replicationFactor) ||
    t.replicationFactor < 1 ||
    t.replicationFactor > 10 ||
    (t.conflictResolution !== 'lww' && t.conflictResolution !== 'siblings') ||
    !okRate(t.writeRatePerMin) ||
    !okRate(t.readRatePerMin) ||
    t.version < 1
  ) {
    throw new PairdbError('INVALID_REQUEST', `tenant record ${t.tenantId} fails the schema checks`);
  }
}
