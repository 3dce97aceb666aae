import { PairdbError } from '../errors.js';
import type { ConflictResolution, MetadataStore, TenantRecord } from '../metadata/metadata-store.js';
import type * as pb from '../rpc/types.js';
import type { TenantCache } from './tenant-cache.js';
import { checkTenantId } from './validation.js';

/**
 * Tenant RPCs of CoordinatorService (rpc.md §5, cluster.md §13) and the cached tenant lookup of the data path.
 * Creation is an INSERT followed by a write-through of the cache; an update bumps `version` under optimistic
 * concurrency.
 */

export const DEFAULT_RF = 3;
export const MAX_RF = 10;
/** Per-minute rate limits accepted by the API (http-api.md §7). */
export const MAX_RATE_PER_MIN = 10_000_000;
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

export interface TenantAdminDeps {
  readonly store: MetadataStore;
  readonly cache: TenantCache<TenantRecord>;
  /** Nodes in state normal or bootstrapping (down ones included): the RF ceiling. */
  readonly eligibleNodes: () => number;
  readonly nowMs?: () => number;
}

export function conflictFromWire(v: unknown): ConflictResolution {
  switch (v) {
    case undefined:
    case null:
    case 0:
    case 1:
    case 'CONFLICT_RESOLUTION_UNSPECIFIED':
    case 'CONFLICT_RESOLUTION_LWW':
      return 'lww';
    case 2:
    case 'CONFLICT_RESOLUTION_SIBLINGS':
      return 'siblings';
    default:
      throw new PairdbError('INVALID_REQUEST', 'conflict_resolution must be lww or siblings');
  }
}

export function tenantToWire(t: TenantRecord): pb.Tenant {
  return {
    tenant_id: t.tenantId,
    replication_factor: t.replicationFactor,
    conflict_resolution: t.conflictResolution === 'siblings' ? 'CONFLICT_RESOLUTION_SIBLINGS' : 'CONFLICT_RESOLUTION_LWW',
    write_rate_per_min: t.writeRatePerMin ?? 0,
    read_rate_per_min: t.readRatePerMin ?? 0,
    created_at_ms: t.createdAtMs,
    updated_at_ms: t.updatedAtMs,
    version: t.version,
  };
}

/** 0 = the cluster default (null); otherwise 1..10,000,000. */
function rateFromWire(v: number | undefined, what: string): number | null {
  if (v === undefined || v === 0) return null;
  if (!Number.isInteger(v) || v < 1 || v > MAX_RATE_PER_MIN) {
    throw new PairdbError('INVALID_REQUEST', `${what} must be 1-${MAX_RATE_PER_MIN} per minute (0 = default)`);
  }
  return v;
}

export class TenantAdmin {
  /** Queues a replication_change migration; resolves with its id ('' when the projected RF is already that). */
  enqueueRfChange: ((tenant: TenantRecord, newRf: number) => Promise<string>) | undefined;

  readonly #d: TenantAdminDeps;
  readonly #nowMs: () => number;

  constructor(deps: TenantAdminDeps) {
    this.#d = deps;
    this.#nowMs = deps.nowMs ?? Date.now;
  }

  /**
   * The data path's tenant lookup: a fresh cache entry without touching the store; else the store (write-through).
   * With the store failing, a stale entry is served; a miss is SERVICE_UNAVAILABLE (cluster.md §13).
   */
  lookup(tenantId: string): TenantRecord | Promise<TenantRecord> {
    const hit = this.#d.cache.get(tenantId);
    if (hit?.fresh) return hit.value;
    return this.#d.store.getTenant(tenantId).then(
      (t) => {
        if (!t) {
          this.#d.cache.delete(tenantId);
          throw new PairdbError('TENANT_NOT_FOUND', `tenant ${tenantId} not found`);
        }
        this.#d.cache.set(tenantId, t);
        return t;
      },
      (err: unknown) => {
        if (hit) return hit.value;
        throw new PairdbError('SERVICE_UNAVAILABLE', 'metadata store unavailable and tenant not cached', { cause: err, retryAfterSeconds: 1 });
      },
    );
  }

  #checkRf(rf: number): void {
    const eligible = this.#d.eligibleNodes();
    if (!Number.isInteger(rf) || rf < 1 || rf > MAX_RF) {
      throw new PairdbError('INVALID_REPLICATION_FACTOR', `replication_factor must be 1-${MAX_RF}`);
    }
    if (rf > eligible) {
      throw new PairdbError('INVALID_REPLICATION_FACTOR', `replication_factor ${rf} is above the ${eligible} eligible storage nodes`);
    }
  }

  async #get(tenantId: string): Promise<TenantRecord> {
    checkTenantId(tenantId);
    const t = await this.#d.store.getTenant(tenantId);
    if (!t) throw new PairdbError('TENANT_NOT_FOUND', `tenant ${tenantId} not found`);
    return t;
  }

  async create(req: pb.CreateTenantRequest__Output): Promise<pb.TenantResponse> {
    checkTenantId(req.tenant_id);
    const conflictResolution = conflictFromWire(req.conflict_resolution);
    const writeRatePerMin = rateFromWire(req.write_rate_per_min, 'write_rate_per_min');
    const readRatePerMin = rateFromWire(req.read_rate_per_min, 'read_rate_per_min');
    // An existing id is TENANT_EXISTS whatever the settings (http-api.md §7).
    if (await this.#d.store.getTenant(req.tenant_id)) throw new PairdbError('TENANT_EXISTS', `tenant ${req.tenant_id} already exists`);
    const rf = req.replication_factor === 0 ? DEFAULT_RF : req.replication_factor;
    this.#checkRf(rf);
    const now = this.#nowMs();
    const t: TenantRecord = {
      tenantId: req.tenant_id,
      replicationFactor: rf,
      conflictResolution,
      writeRatePerMin,
      readRatePerMin,
      createdAtMs: now,
      updatedAtMs: now,
      version: 1,
    };
    await this.#d.store.createTenant(t);
    this.#d.cache.set(t.tenantId, t);
    return { tenant: tenantToWire(t), active_migration_id: '' };
  }

  async get(req: pb.GetTenantRequest__Output): Promise<pb.TenantResponse> {
    return { tenant: tenantToWire(await this.#get(req.tenant_id)), active_migration_id: '' };
  }

  async list(req: pb.ListTenantsRequest__Output): Promise<pb.ListTenantsResponse> {
    const limit = req.limit === 0 ? DEFAULT_LIST_LIMIT : req.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new PairdbError('INVALID_REQUEST', `limit must be 1-${MAX_LIST_LIMIT}`);
    }
    if (req.cursor !== '') checkTenantId(req.cursor);
    const page = await this.#d.store.listTenants(req.cursor, limit);
    return {
      tenants: page.items.map(tenantToWire),
      next_cursor: page.more && page.items.length > 0 ? page.items[page.items.length - 1]!.tenantId : '',
    };
  }

  /** Conflict mode and rate limits only; proto3 `optional` presence tells "unchanged" from "0 = default". */
  async update(req: pb.UpdateTenantRequest__Output): Promise<pb.TenantResponse> {
    const hasConflict = req._conflict_resolution === 'conflict_resolution';
    const hasWrite = req._write_rate_per_min === 'write_rate_per_min';
    const hasRead = req._read_rate_per_min === 'read_rate_per_min';
    checkTenantId(req.tenant_id);
    if (!hasConflict && !hasWrite && !hasRead) {
      throw new PairdbError('INVALID_REQUEST', 'give at least one of conflict_resolution, write_rate_per_min, read_rate_per_min');
    }
    const conflict = hasConflict ? conflictFromWire(req.conflict_resolution) : undefined;
    const writeRate = hasWrite ? rateFromWire(req.write_rate_per_min, 'write_rate_per_min') : undefined;
    const readRate = hasRead ? rateFromWire(req.read_rate_per_min, 'read_rate_per_min') : undefined;
    for (let attempt = 0; ; attempt++) {
      const cur = await this.#get(req.tenant_id);
      const next: TenantRecord = {
        ...cur,
        conflictResolution: conflict ?? cur.conflictResolution,
        writeRatePerMin: writeRate === undefined ? cur.writeRatePerMin : writeRate,
        readRatePerMin: readRate === undefined ? cur.readRatePerMin : readRate,
        updatedAtMs: Math.max(this.#nowMs(), cur.updatedAtMs),
        version: cur.version + 1,
      };
      if (await this.#d.store.updateTenant(next, cur.version)) {
        this.#d.cache.set(next.tenantId, next);
        return { tenant: tenantToWire(next), active_migration_id: '' };
      }
      if (attempt >= 4) throw new PairdbError('SERVICE_UNAVAILABLE', 'tenant changed concurrently; retry', { retryAfterSeconds: 1 });
    }
  }

  async updateReplicationFactor(req: pb.UpdateReplicationFactorRequest__Output): Promise<pb.UpdateReplicationFactorResponse> {
    const cur = await this.#get(req.tenant_id);
    this.#checkRf(req.new_replication_factor);
    if (req.new_replication_factor === cur.replicationFactor) {
      return {
        tenant_id: cur.tenantId,
        old_replication_factor: cur.replicationFactor,
        new_replication_factor: cur.replicationFactor,
        migration_id: '',
        updated_at_ms: cur.updatedAtMs,
      };
    }
    // A real change moves data: a replication_change migration (cluster.md §11), queued behind any other.
    if (!this.enqueueRfChange) throw new PairdbError('UNIMPLEMENTED', 'replication factor changes need the migration driver');
    const migrationId = await this.enqueueRfChange(cur, req.new_replication_factor);
    return {
      tenant_id: cur.tenantId,
      old_replication_factor: cur.replicationFactor,
      new_replication_factor: req.new_replication_factor,
      migration_id: migrationId,
      updated_at_ms: migrationId ? this.#nowMs() : cur.updatedAtMs,
    };
  }
}
