import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PairdbError } from '../errors.js';
import type { CoordinatorClient } from '../rpc/clients.js';
import type { CallOptions } from '../rpc/pipe.js';
import type * as pb from '../rpc/types.js';
import type { RateLimiter, RateClass } from '../ratelimit/rate-limiter.js';
import type { TenantLimits, TenantLimitsCache } from '../ratelimit/tenant-limits.js';
import {
  assertNoParams,
  clusterJson,
  isMigrationId,
  migrationJson,
  nodeChangeJson,
  nodesJson,
  parseAddNode,
  parseRemoveNode,
} from './admin-api.js';
import type { CoordinatorPool } from './coordinator-pool.js';
import { idempotencyStatus, deleteResponseJson, readResponseJson, writeResponseJson } from './kv-response.js';
import { parseKvDelete, parseKvRead, parseKvWrite, resolveKvTenant } from './kv-request.js';
import { parseQuery, type QueryParams } from './query.js';
import { decodePathParam, type RouteDef } from './router.js';
import {
  parseReplicationFactor,
  parseTenantCreate,
  parseTenantList,
  parseTenantPatch,
  replicationFactorJson,
  tenantJson,
  tenantListJson,
} from './tenant-api.js';
import {
  assertKnownMembers,
  assertTenantId,
  consistencyToWire,
  invalid,
  isValidIdempotencyKey,
  type ClockInput,
  type JsonObject,
} from './validation.js';

/**
 * The /v1 endpoints behind the HTTP framing: steps 6-10 of http-api.md §1.7 for the data plane, validation and the
 * coordinator call for the admin plane. The daemon owns sockets, routing, bodies (step 5) and the error envelope;
 * this class owns what the request means.
 */

export type HeaderBag = Record<string, string | number>;

/** One request as the API sees it; the handler records what the error path needs to know. */
export interface Exchange {
  readonly requestId: string;
  readonly method: string;
  readonly route: RouteDef;
  /** Path parameter, still percent-encoded. */
  readonly param: string | undefined;
  /** Raw query string without `?`. */
  readonly rawQuery: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Response headers decided on the way (rate limit, Retry-After) that also go on error answers. */
  outHeaders: HeaderBag | undefined;
  /** A mutation was handed to a coordinator: a 5xx now has outcome "unknown" unless proven otherwise. */
  mutationSent: boolean;
  /** POST /v1/key-value: the key sent (or to be sent) to the coordinator, echoed on 5xx (§1.5). */
  idempotencyKey: string | undefined;
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers?: HeaderBag;
}

export interface GatewayApiOptions {
  readonly pool: CoordinatorPool<CoordinatorClient>;
  /** Undefined when rate limiting is off (then no rate-limit headers either). */
  readonly limiter: RateLimiter | undefined;
  readonly tenantLimits: TenantLimitsCache;
  readonly defaultWritesPerMinute: number;
  readonly defaultReadsPerMinute: number;
  readonly coordinatorTimeoutMs: number;
  readonly version: string;
  readonly onRateLimited: (cls: RateClass) => void;
}

/** The idempotency key of a POST decided on arrival (§5): the client's if well-formed, else a new UUIDv4. */
export function arrivalIdempotencyKey(headers: IncomingHttpHeaders): string {
  const h = headers['idempotency-key'];
  return isValidIdempotencyKey(h) ? h : randomUUID();
}

function limitsOf(t: pb.Tenant__Output | null): TenantLimits {
  return { writesPerMinute: t?.write_rate_per_min ?? 0, readsPerMinute: t?.read_rate_per_min ?? 0 };
}

function wireContext(c: ClockInput | undefined): pb.VectorClock | undefined {
  return c === undefined ? undefined : { entries: c.entries as pb.VectorClockEntry[] };
}

const NO_MEMBERS: ReadonlySet<string> = new Set();

export class GatewayApi {
  readonly #o: GatewayApiOptions;

  constructor(opts: GatewayApiOptions) {
    this.#o = opts;
  }

  /** Fetch function of the tenant-limits cache: GetTenant through the pool (a read: retried elsewhere). */
  static fetchLimits(pool: CoordinatorPool<CoordinatorClient>) {
    return (tenantId: string, opts: CallOptions): Promise<TenantLimits> =>
      pool.call('GetTenant', true, opts.deadlineMs, (c) => c.getTenant({ tenant_id: tenantId }, opts)).then((r) => limitsOf(r.tenant));
  }

  /** Steps 6-10 for a routed /v1 request whose body (step 5) is decoded (undefined = no body). */
  handle(ex: Exchange, body: JsonObject | undefined): Promise<Reply> {
    switch (ex.route.name) {
      case 'kv':
        return this.#kv(ex, body);
      case 'tenants':
        return ex.method === 'POST' ? this.#createTenant(ex, body!) : this.#listTenants(ex);
      case 'tenant':
        return ex.method === 'PATCH' ? this.#patchTenant(ex, body!) : this.#getTenant(ex);
      case 'tenant_rf':
        return this.#replicationFactor(ex, body!);
      case 'nodes':
        return ex.method === 'POST' ? this.#addNode(ex, body!) : this.#listNodes(ex);
      case 'node':
        return this.#removeNode(ex, body);
      case 'migration':
        return this.#migration(ex);
      case 'cluster':
        return this.#cluster(ex);
      default:
        return Promise.reject(new PairdbError('ROUTE_NOT_FOUND', 'no such route'));
    }
  }

  #opts(ex: Exchange, deadlineMs: number): CallOptions {
    return { requestId: ex.requestId, deadlineMs };
  }

  // ---- data plane -------------------------------------------------------------------------------------------

  async #kv(ex: Exchange, body: JsonObject | undefined): Promise<Reply> {
    const query = parseQuery(ex.rawQuery);
    const tenant = resolveKvTenant(ex.method, body, query, ex.headers['x-tenant-id']); // step 6
    const deadlineMs = Date.now() + this.#o.coordinatorTimeoutMs;
    const cls: RateClass = ex.method === 'GET' ? 'read' : 'write';
    if (this.#o.limiter !== undefined) await this.#rateLimit(ex, tenant, cls, deadlineMs); // step 7
    if (ex.method === 'POST') return this.#write(ex, tenant, body!, query, deadlineMs);
    if (ex.method === 'GET') return this.#read(ex, tenant, query, deadlineMs);
    return this.#delete(ex, tenant, body, query, deadlineMs);
  }

  async #rateLimit(ex: Exchange, tenant: string, cls: RateClass, deadlineMs: number): Promise<void> {
    const cache = this.#o.tenantLimits;
    const limits = cache.peek(tenant) ?? (await cache.get(tenant, this.#opts(ex, deadlineMs)));
    const perMinute =
      cls === 'write'
        ? limits.writesPerMinute || this.#o.defaultWritesPerMinute
        : limits.readsPerMinute || this.#o.defaultReadsPerMinute;
    const d = this.#o.limiter!.take(tenant, cls, perMinute);
    const headers: HeaderBag = {
      'X-RateLimit-Limit': d.limit,
      'X-RateLimit-Remaining': d.remaining,
      'X-RateLimit-Reset': d.resetEpochSeconds,
    };
    ex.outHeaders = headers;
    if (!d.allowed) {
      headers['Retry-After'] = d.retryAfterSeconds;
      this.#o.onRateLimited(cls);
      throw new PairdbError('RATE_LIMIT_EXCEEDED', `${cls} limit exceeded for tenant ${tenant}`, {
        retryAfterSeconds: d.retryAfterSeconds,
      });
    }
  }

  async #write(ex: Exchange, tenant: string, body: JsonObject, query: QueryParams, deadlineMs: number): Promise<Reply> {
    const input = parseKvWrite(body, query, ex.headers); // step 8
    const idempotencyKey = input.idempotencyKey ?? ex.idempotencyKey ?? randomUUID();
    ex.idempotencyKey = idempotencyKey;
    const req: pb.WriteKeyValueRequest = {
      tenant_id: tenant,
      key: input.key,
      value: input.value,
      consistency: consistencyToWire(input.consistency),
      idempotency_key: idempotencyKey,
    };
    const context = wireContext(input.context);
    if (context !== undefined) req.context = context;
    ex.mutationSent = true;
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('WriteKeyValue', false, deadlineMs, (c) => c.write(req, opts));
    return {
      status: 200,
      body: writeResponseJson(input.key, idempotencyKey, input.consistency, r),
      headers: { 'X-Idempotency-Status': idempotencyStatus(r) },
    };
  }

  async #read(ex: Exchange, tenant: string, query: QueryParams, deadlineMs: number): Promise<Reply> {
    const input = parseKvRead(query); // step 8
    const req: pb.ReadKeyValueRequest = {
      tenant_id: tenant,
      key: input.key,
      consistency: consistencyToWire(input.consistency),
    };
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('ReadKeyValue', true, deadlineMs, (c) => c.read(req, opts));
    return { status: 200, body: readResponseJson(input.key, r) };
  }

  async #delete(
    ex: Exchange,
    tenant: string,
    body: JsonObject | undefined,
    query: QueryParams,
    deadlineMs: number,
  ): Promise<Reply> {
    const input = parseKvDelete(body, query, ex.headers); // step 8
    // Idempotency-Key is ignored on DELETE (§3): a delete is naturally idempotent.
    const req: pb.DeleteKeyValueRequest = {
      tenant_id: tenant,
      key: input.key,
      consistency: consistencyToWire(input.consistency),
    };
    const context = wireContext(input.context);
    if (context !== undefined) req.context = context;
    ex.mutationSent = true;
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('DeleteKeyValue', false, deadlineMs, (c) => c.delete(req, opts));
    return { status: 200, body: deleteResponseJson(input.key, r) };
  }

  // ---- tenants ---------------------------------------------------------------------------------------------

  #deadline(): number {
    return Date.now() + this.#o.coordinatorTimeoutMs;
  }

  #pathTenant(ex: Exchange): string {
    return assertTenantId(decodePathParam(ex.param ?? ''), 'tenant id in the path');
  }

  #remember(r: pb.TenantResponse__Output): void {
    if (r.tenant) this.#o.tenantLimits.set(r.tenant.tenant_id, limitsOf(r.tenant));
  }

  async #createTenant(ex: Exchange, body: JsonObject): Promise<Reply> {
    const req = parseTenantCreate(body, parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    ex.mutationSent = true;
    const r = await this.#o.pool.call('CreateTenant', false, deadlineMs, (c) => c.createTenant(req, opts));
    this.#remember(r);
    return { status: 201, body: tenantJson(r), headers: { Location: `/v1/tenants/${req.tenant_id}` } };
  }

  async #listTenants(ex: Exchange): Promise<Reply> {
    const req = parseTenantList(parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('ListTenants', true, deadlineMs, (c) => c.listTenants(req, opts));
    return { status: 200, body: tenantListJson(r) };
  }

  async #getTenant(ex: Exchange): Promise<Reply> {
    const tenant = this.#pathTenant(ex);
    assertNoParams(parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('GetTenant', true, deadlineMs, (c) => c.getTenant({ tenant_id: tenant }, opts));
    this.#remember(r);
    return { status: 200, body: tenantJson(r) };
  }

  async #patchTenant(ex: Exchange, body: JsonObject): Promise<Reply> {
    const tenant = this.#pathTenant(ex);
    const req = parseTenantPatch(body, parseQuery(ex.rawQuery), tenant);
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    ex.mutationSent = true;
    const r = await this.#o.pool.call('UpdateTenant', false, deadlineMs, (c) => c.updateTenant(req, opts));
    this.#remember(r);
    return { status: 200, body: tenantJson(r) };
  }

  async #replicationFactor(ex: Exchange, body: JsonObject): Promise<Reply> {
    const tenant = this.#pathTenant(ex);
    const req = parseReplicationFactor(body, parseQuery(ex.rawQuery), tenant);
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    ex.mutationSent = true;
    const r = await this.#o.pool.call('UpdateReplicationFactor', false, deadlineMs, (c) => c.updateReplicationFactor(req, opts));
    return { status: 200, body: replicationFactorJson(r) };
  }

  // ---- admin -----------------------------------------------------------------------------------------------

  async #addNode(ex: Exchange, body: JsonObject): Promise<Reply> {
    const req = parseAddNode(body, parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    ex.mutationSent = true;
    const r = await this.#o.pool.call('AddStorageNode', false, deadlineMs, (c) => c.addStorageNode(req, opts));
    return {
      status: 202,
      body: nodeChangeJson(r, 'node addition accepted'),
      headers: { Location: `/v1/admin/migrations/${r.migration_id}` },
    };
  }

  async #listNodes(ex: Exchange): Promise<Reply> {
    assertNoParams(parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('ListStorageNodes', true, deadlineMs, (c) =>
      c.listStorageNodes({ include_removed: false }, opts),
    );
    return { status: 200, body: nodesJson(r) };
  }

  async #removeNode(ex: Exchange, body: JsonObject | undefined): Promise<Reply> {
    const nodeId = decodePathParam(ex.param ?? '');
    const req = parseRemoveNode(nodeId, parseQuery(ex.rawQuery));
    if (body !== undefined) assertKnownMembers(body, NO_MEMBERS);
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    ex.mutationSent = true;
    const r = await this.#o.pool.call('RemoveStorageNode', false, deadlineMs, (c) => c.removeStorageNode(req, opts));
    return {
      status: 202,
      body: nodeChangeJson(r, 'node removal accepted'),
      headers: { Location: `/v1/admin/migrations/${r.migration_id}` },
    };
  }

  async #migration(ex: Exchange): Promise<Reply> {
    const id = decodePathParam(ex.param ?? '');
    assertNoParams(parseQuery(ex.rawQuery));
    if (!isMigrationId(id)) throw new PairdbError('MIGRATION_NOT_FOUND', 'migration not found');
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    const r = await this.#o.pool.call('GetMigrationStatus', true, deadlineMs, (c) =>
      c.getMigrationStatus({ migration_id: id }, opts),
    );
    return { status: 200, body: migrationJson(r) };
  }

  async #cluster(ex: Exchange): Promise<Reply> {
    assertNoParams(parseQuery(ex.rawQuery));
    const deadlineMs = this.#deadline();
    const opts = this.#opts(ex, deadlineMs);
    let answered = '';
    const r = await this.#o.pool.call('ClusterStatus', true, deadlineMs, (c) => {
      answered = c.address;
      return c.clusterStatus(opts);
    });
    // The coordinator that just answered is healthy whatever its last probe said.
    const coordinators = this.#o.pool.health().map((h) => (h.address === answered ? { ...h, healthy: true } : h));
    return { status: 200, body: clusterJson(r, coordinators, this.#o.version, Date.now()) };
  }
}

/** For the daemon: a POST/PUT/PATCH without a body is a 400 (§1.2: the body must parse to a JSON object). */
export function missingBody(): PairdbError {
  return invalid('the request body must be a JSON object');
}
