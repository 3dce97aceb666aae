import type { QueryParams } from './query.js';
import { assertKnownParams } from './query.js';
import {
  assertKey,
  assertKnownMembers,
  assertTenantId,
  invalid,
  parseConsistency,
  parseIdempotencyKey,
  resolveContext,
  serializeValue,
  type ClockInput,
  type ConsistencyLevel,
  type JsonObject,
} from './validation.js';

/**
 * The data plane's input rules (http-api.md §2.3, §3). Tenant resolution is step 6 of §1.7 and runs before the
 * rate limit; everything else is step 8 and runs after it.
 */

const POST_MEMBERS: ReadonlySet<string> = new Set(['tenant_id', 'key', 'value', 'consistency', 'vector_clock']);
const DELETE_MEMBERS: ReadonlySet<string> = new Set(['tenant_id', 'key', 'consistency', 'vector_clock']);
const QUERY_PARAMS: ReadonlySet<string> = new Set(['tenant_id', 'key', 'consistency']);

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Step 6: body `tenant_id` (POST, DELETE), query `tenant_id` (GET, DELETE) and `X-Tenant-ID` (all) must agree;
 * none present → 400.
 */
export function resolveKvTenant(
  method: string,
  body: JsonObject | undefined,
  query: QueryParams,
  headerTenant: string | string[] | undefined,
): string {
  let tenant: string | undefined;
  const agree = (v: unknown, where: string): void => {
    if (v === undefined || v === null) return;
    if (typeof v !== 'string') throw invalid(`${where} must be a string`);
    if (tenant === undefined) tenant = v;
    else if (tenant !== v) throw invalid('the tenant sources (body, query, X-Tenant-ID) disagree');
  };
  if (method !== 'GET' && body !== undefined) agree(body['tenant_id'], 'tenant_id');
  if (method !== 'POST') agree(query.get('tenant_id'), 'the tenant_id query parameter');
  agree(Array.isArray(headerTenant) ? headerTenant.join(', ') : headerTenant, 'X-Tenant-ID');
  if (tenant === undefined) throw invalid('tenant_id is required (body, query or X-Tenant-ID)');
  return assertTenantId(tenant);
}

export interface KvWriteInput {
  readonly key: string;
  /** Compact serialization of the parsed value (§4.4). */
  readonly value: Buffer;
  readonly consistency: ConsistencyLevel;
  readonly context: ClockInput | undefined;
  /** The client's Idempotency-Key, if any (the gateway generates one otherwise). */
  readonly idempotencyKey: string | undefined;
}

function requireKey(v: unknown): string {
  if (v === undefined || v === null) throw invalid('key is required');
  return assertKey(v);
}

/** Step 8 of POST /v1/key-value. */
export function parseKvWrite(body: JsonObject, query: QueryParams, headers: Headers): KvWriteInput {
  if (query.size > 0) throw invalid('POST /v1/key-value takes no query parameters');
  assertKnownMembers(body, POST_MEMBERS);
  const key = requireKey(body['key']);
  if (!Object.prototype.hasOwnProperty.call(body, 'value')) throw invalid('value is required');
  const consistency = parseConsistency(body['consistency']);
  const context = resolveContext(body['vector_clock'], headers['x-vector-clock']);
  const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
  const value = serializeValue(body['value']);
  return { key, value, consistency, context, idempotencyKey };
}

export interface KvReadInput {
  readonly key: string;
  readonly consistency: ConsistencyLevel;
}

/** Step 8 of GET /v1/key-value (its body, if any, was size-checked and ignored). */
export function parseKvRead(query: QueryParams): KvReadInput {
  assertKnownParams(query, QUERY_PARAMS);
  return { key: requireKey(query.get('key')), consistency: parseConsistency(query.get('consistency')) };
}

export interface KvDeleteInput {
  readonly key: string;
  readonly consistency: ConsistencyLevel;
  readonly context: ClockInput | undefined;
}

/** A member given in both query and body must match (§3). */
function fromBoth(body: JsonObject | undefined, query: QueryParams, name: string): unknown {
  const b = body?.[name];
  const fromBody = b === null ? undefined : b;
  const fromQuery = query.get(name);
  if (fromBody !== undefined && typeof fromBody !== 'string') throw invalid(`${name} must be a string`);
  if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
    throw invalid(`${name} differs between the query and the body`);
  }
  return fromBody ?? fromQuery;
}

/** Step 8 of DELETE /v1/key-value: query and/or body. */
export function parseKvDelete(body: JsonObject | undefined, query: QueryParams, headers: Headers): KvDeleteInput {
  assertKnownParams(query, QUERY_PARAMS);
  if (body !== undefined) assertKnownMembers(body, DELETE_MEMBERS);
  const key = requireKey(fromBoth(body, query, 'key'));
  const consistency = parseConsistency(fromBoth(body, query, 'consistency'));
  const context = resolveContext(body?.['vector_clock'], headers['x-vector-clock']);
  return { key, consistency, context };
}
