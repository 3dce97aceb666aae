import { PairdbError } from '../errors.js';
import type * as pb from '../rpc/types.js';
import { iso } from './json-format.js';
import { assertKnownParams, type QueryParams } from './query.js';
import {
  assertKnownMembers,
  assertTenantId,
  invalid,
  isTenantId,
  optionalInteger,
  type JsonObject,
} from './validation.js';

/** Tenant endpoints (http-api.md §7): input rules and the tenant object. */

const CREATE_MEMBERS: ReadonlySet<string> = new Set(['tenant_id', 'replication_factor', 'conflict_resolution', 'rate_limits']);
const PATCH_MEMBERS: ReadonlySet<string> = new Set(['tenant_id', 'conflict_resolution', 'rate_limits']);
const RF_MEMBERS: ReadonlySet<string> = new Set(['tenant_id', 'replication_factor']);
const RATE_MEMBERS: ReadonlySet<string> = new Set(['writes_per_minute', 'reads_per_minute']);
const LIST_PARAMS: ReadonlySet<string> = new Set(['limit', 'cursor']);
const MAX_RATE = 10_000_000;

type WireConflict = 'CONFLICT_RESOLUTION_LWW' | 'CONFLICT_RESOLUTION_SIBLINGS';

function badRf(): PairdbError {
  return new PairdbError('INVALID_REPLICATION_FACTOR', 'replication_factor must be an integer 1-10');
}

function parseConflict(v: unknown): WireConflict | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'lww') return 'CONFLICT_RESOLUTION_LWW';
  if (v === 'siblings') return 'CONFLICT_RESOLUTION_SIBLINGS';
  throw invalid('conflict_resolution must be "lww" or "siblings"');
}

/** A rate limit member: undefined = omitted, null = gateway default, else 1..10 000 000 per minute. */
type RateSetting = number | null | undefined;

function parseRate(obj: JsonObject, name: string): RateSetting {
  if (!Object.prototype.hasOwnProperty.call(obj, name)) return undefined;
  const v = obj[name];
  if (v === null) return null;
  return optionalInteger(v, 1, MAX_RATE, () => invalid(`rate_limits.${name} must be an integer 1-10000000 or null`));
}

function parseRateLimits(v: unknown): { writes: RateSetting; reads: RateSetting } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('rate_limits must be a JSON object');
  const obj = v as JsonObject;
  assertKnownMembers(obj, RATE_MEMBERS);
  return { writes: parseRate(obj, 'writes_per_minute'), reads: parseRate(obj, 'reads_per_minute') };
}

/** Wire form of a rate setting: 0 = cluster default. */
function rateToWire(r: RateSetting): number {
  return typeof r === 'number' ? r : 0;
}

function assertPathTenant(body: JsonObject, pathTenant: string): void {
  const t = body['tenant_id'];
  if (t !== undefined && t !== null && t !== pathTenant) throw invalid('tenant_id in the body differs from the path');
}

/** POST /v1/tenants → CreateTenantRequest (0 fields mean the defaults: RF 3, lww, gateway limits). */
export function parseTenantCreate(body: JsonObject, query: QueryParams): pb.CreateTenantRequest {
  assertKnownParams(query, new Set());
  assertKnownMembers(body, CREATE_MEMBERS);
  const t = body['tenant_id'];
  if (t === undefined || t === null) throw invalid('tenant_id is required');
  const tenantId = assertTenantId(t);
  const rf = optionalInteger(body['replication_factor'], 1, 10, badRf);
  const conflict = parseConflict(body['conflict_resolution']);
  const rates = parseRateLimits(body['rate_limits']);
  return {
    tenant_id: tenantId,
    replication_factor: rf ?? 0,
    conflict_resolution: conflict ?? 'CONFLICT_RESOLUTION_LWW',
    write_rate_per_min: rateToWire(rates?.writes),
    read_rate_per_min: rateToWire(rates?.reads),
  };
}

/** PATCH /v1/tenants/{id}: at least one of conflict_resolution, rate_limits; replication_factor is refused. */
export function parseTenantPatch(body: JsonObject, query: QueryParams, pathTenant: string): pb.UpdateTenantRequest {
  assertKnownParams(query, new Set());
  if (Object.prototype.hasOwnProperty.call(body, 'replication_factor')) {
    throw invalid('replication_factor is changed with PUT /v1/tenants/{tenant_id}/replication-factor');
  }
  assertKnownMembers(body, PATCH_MEMBERS);
  assertPathTenant(body, pathTenant);
  const conflict = parseConflict(body['conflict_resolution']);
  const rates = parseRateLimits(body['rate_limits']);
  if (conflict === undefined && rates === undefined) {
    throw invalid('give at least one of conflict_resolution, rate_limits');
  }
  const req: pb.UpdateTenantRequest = { tenant_id: pathTenant };
  if (conflict !== undefined) req.conflict_resolution = conflict;
  // proto3 optional: an unset field leaves the limit unchanged, 0 resets it to the default.
  if (rates?.writes !== undefined) req.write_rate_per_min = rateToWire(rates.writes);
  if (rates?.reads !== undefined) req.read_rate_per_min = rateToWire(rates.reads);
  return req;
}

/** PUT /v1/tenants/{id}/replication-factor. */
export function parseReplicationFactor(
  body: JsonObject,
  query: QueryParams,
  pathTenant: string,
): pb.UpdateReplicationFactorRequest {
  assertKnownParams(query, new Set());
  assertKnownMembers(body, RF_MEMBERS);
  assertPathTenant(body, pathTenant);
  const v = body['replication_factor'];
  if (v === undefined || v === null) throw invalid('replication_factor is required');
  const rf = optionalInteger(v, 1, 10, badRf)!;
  return { tenant_id: pathTenant, new_replication_factor: rf };
}

/** GET /v1/tenants?limit=&cursor= */
export function parseTenantList(query: QueryParams): pb.ListTenantsRequest {
  assertKnownParams(query, LIST_PARAMS);
  const l = query.get('limit');
  let limit = 100;
  if (l !== undefined) {
    limit = /^[0-9]{1,4}$/.test(l) ? Number(l) : 0;
    if (limit < 1 || limit > 1000) throw invalid('limit must be an integer 1-1000');
  }
  const cursor = query.get('cursor') ?? '';
  if (cursor !== '' && !isTenantId(cursor)) throw invalid('cursor is not a tenant id');
  return { limit, cursor };
}

/** The tenant object (§7), members in order; `status` only on single-tenant answers. */
export function tenantObject(t: pb.Tenant__Output, withStatus: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = withStatus ? { status: 'success' } : {};
  body['tenant_id'] = t.tenant_id;
  body['replication_factor'] = t.replication_factor;
  body['conflict_resolution'] = t.conflict_resolution === 'CONFLICT_RESOLUTION_SIBLINGS' ? 'siblings' : 'lww';
  body['rate_limits'] = {
    writes_per_minute: t.write_rate_per_min > 0 ? t.write_rate_per_min : null,
    reads_per_minute: t.read_rate_per_min > 0 ? t.read_rate_per_min : null,
  };
  body['created_at'] = iso(t.created_at_ms);
  body['updated_at'] = iso(t.updated_at_ms);
  body['version'] = Number(t.version);
  return body;
}

export function tenantJson(r: pb.TenantResponse__Output): string {
  if (!r.tenant) throw new PairdbError('INTERNAL_ERROR', 'the coordinator answered without a tenant');
  return JSON.stringify(tenantObject(r.tenant, true));
}

export function tenantListJson(r: pb.ListTenantsResponse__Output): string {
  return JSON.stringify({
    status: 'success',
    tenants: r.tenants.map((t) => tenantObject(t, false)),
    next_cursor: r.next_cursor === '' ? null : r.next_cursor,
  });
}

export function replicationFactorJson(r: pb.UpdateReplicationFactorResponse__Output): string {
  return JSON.stringify({
    status: 'success',
    tenant_id: r.tenant_id,
    old_replication_factor: r.old_replication_factor,
    new_replication_factor: r.new_replication_factor,
    migration_id: r.migration_id === '' ? null : r.migration_id,
    updated_at: iso(r.updated_at_ms),
  });
}
