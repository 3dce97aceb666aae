import { PairdbError } from '../errors.js';

/** A tenant's own limits per minute; 0 = use the gateway setting (rpc.md `write_rate_per_min`). */
export interface TenantLimits {
  readonly writesPerMinute: number;
  readonly readsPerMinute: number;
}

/** Per-call options of a fetch: the request that triggered it and the backend deadline (unix ms). */
export interface FetchOptions {
  readonly requestId: string;
  readonly deadlineMs: number;
}

/** Fetches a tenant's limits (GetTenant); rejects with TENANT_NOT_FOUND, SERVICE_UNAVAILABLE, TIMEOUT, …. */
export type FetchTenantLimits = (tenantId: string, opts: FetchOptions) => Promise<TenantLimits>;

interface Entry {
  limits: TenantLimits | undefined;
  /** Fresh until this time (unix ms). */
  freshUntil: number;
  inflight: Promise<TenantLimits> | undefined;
}

/** After a failed refresh, a stale entry is served this long before the next attempt. */
const STALE_RETRY_MS = 10_000;

/**
 * Tenant limits cached for `ttlMs` (cli-and-ops.md `tenant-cache-ttl`, 5 min). Concurrent misses share one fetch.
 * When a refresh fails because the metadata path is unavailable, the last known limits keep serving (Cassandra-style
 * "stale is better than down"); with nothing cached the failure is the answer (§10: SERVICE_UNAVAILABLE).
 * TENANT_NOT_FOUND drops the entry and is not cached, so a tenant created a moment later works at once.
 */
export class TenantLimitsCache {
  readonly #fetch: FetchTenantLimits;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(fetch: FetchTenantLimits, ttlMs: number, now: () => number = Date.now) {
    this.#fetch = fetch;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** The cached limits if still fresh (the hot path: no promise, no allocation). */
  peek(tenantId: string): TenantLimits | undefined {
    const e = this.#entries.get(tenantId);
    return e !== undefined && e.limits !== undefined && e.freshUntil > this.#now() ? e.limits : undefined;
  }

  /** Fresh limits, fetching (once for all concurrent callers) when missing or expired. */
  get(tenantId: string, opts: FetchOptions): Promise<TenantLimits> {
    const fresh = this.peek(tenantId);
    if (fresh !== undefined) return Promise.resolve(fresh);
    let e = this.#entries.get(tenantId);
    if (e === undefined) {
      e = { limits: undefined, freshUntil: 0, inflight: undefined };
      this.#entries.set(tenantId, e);
    }
    if (e.inflight !== undefined) return e.inflight;
    const entry = e;
    const p = this.#fetch(tenantId, opts).then(
      (limits) => {
        entry.limits = limits;
        entry.freshUntil = this.#now() + this.#ttlMs;
        entry.inflight = undefined;
        return limits;
      },
      (err: unknown) => {
        entry.inflight = undefined;
        const code = err instanceof PairdbError ? err.code : 'INTERNAL_ERROR';
        if (code === 'TENANT_NOT_FOUND' || entry.limits === undefined) {
          if (this.#entries.get(tenantId) === entry) this.#entries.delete(tenantId);
          throw err;
        }
        if (code === 'SERVICE_UNAVAILABLE' || code === 'TIMEOUT' || code === 'INTERNAL_ERROR') {
          entry.freshUntil = this.#now() + STALE_RETRY_MS;
          return entry.limits;
        }
        throw err;
      },
    );
    entry.inflight = p;
    return p;
  }

  /** Stores limits learned from an admin answer (create, get, patch), so this gateway applies them at once. */
  set(tenantId: string, limits: TenantLimits): void {
    const e = this.#entries.get(tenantId);
    if (e === undefined) this.#entries.set(tenantId, { limits, freshUntil: this.#now() + this.#ttlMs, inflight: undefined });
    else {
      e.limits = limits;
      e.freshUntil = this.#now() + this.#ttlMs;
    }
  }

  /** Drops entries expired for more than one TTL; returns the remaining count. */
  sweep(): number {
    const cutoff = this.#now() - this.#ttlMs;
    for (const [id, e] of this.#entries) if (e.inflight === undefined && e.freshUntil < cutoff) this.#entries.delete(id);
    return this.#entries.size;
  }
}
