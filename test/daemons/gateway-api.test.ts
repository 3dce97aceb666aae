import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_DEFAULTS, GatewayDaemon, type GatewayConfig } from '../../src/daemons/gateway.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import type * as pb from '../../src/core/rpc/types.js';
import { http, parseRaw, raw, send } from '../core/http/http-client.js';
import { StubCoordinator } from '../core/http/stub-coordinator.js';

/**
 * The gateway in front of a real gRPC CoordinatorService (an in-memory stub on 127.0.0.1): the success shapes of
 * http-api.md §3, §7, §8, the compatibility requirements of §11, rate limiting (§6) and error mapping (§10).
 */

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let stub: StubCoordinator;
let gw: GatewayDaemon;
let port: number;

function config(over: Partial<GatewayConfig> = {}): GatewayConfig {
  return { ...GATEWAY_DEFAULTS, port: 0, adminPort: null, coordinators: [stub.address], ...over };
}

async function until(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  stub = new StubCoordinator();
  await stub.start();
  gw = new GatewayDaemon(config(), silentLogger());
  await gw.start();
  port = gw.port;
});

afterAll(async () => {
  await gw?.stop('test done');
  await stub?.stop();
});

describe('GatewayDaemon with a coordinator', () => {
  it('/ready answers 200 once the coordinator passed its probe', async () => {
    await until(async () => (await http(port, 'GET', '/ready')).status === 200);
    const a = await http(port, 'GET', '/ready');
    expect(a.text).toBe('{"status":"ready","checks":{"coordinators":{"healthy":1,"total":1}}}');
  });

  describe('compatibility requirements (§11)', () => {
    it('1-5: health, tenant create (201, then 409), put, get, delete', async () => {
      expect((await http(port, 'GET', '/health')).status).toBe(200);

      const c = await http(port, 'POST', '/v1/tenants', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"tenant_id":"t-1a2b","replication_factor":2}',
      });
      expect(c.status).toBe(201);
      expect(c.headers['location']).toBe('/v1/tenants/t-1a2b');
      expect(c.json).toMatchObject({ status: 'success', tenant_id: 't-1a2b', replication_factor: 2, conflict_resolution: 'lww', version: 1 });
      const again = await send(port, 'POST', '/v1/tenants', { tenant_id: 't-1a2b', replication_factor: 2 });
      expect([again.status, again.json.error_code]).toEqual([409, 'TENANT_EXISTS']);

      const w = await send(port, 'POST', '/v1/key-value', { tenant_id: 't-1a2b', key: 'k-1', value: 'v-1712', consistency: 'quorum' });
      expect(w.status).toBe(200);
      expect(Object.keys(w.json)).toEqual(['status', 'key', 'idempotency_key', 'vector_clock', 'replica_count', 'consistency', 'is_duplicate']);
      expect(w.json).toMatchObject({ status: 'success', key: 'k-1', replica_count: 2, consistency: 'quorum', is_duplicate: false });
      expect(w.json.idempotency_key).toMatch(UUID_V4);
      expect(w.headers['x-idempotency-status']).toBe('recorded');

      const g = await http(port, 'GET', '/v1/key-value?tenant_id=t-1a2b&key=k-1&consistency=quorum');
      expect(g.status).toBe(200);
      expect(g.json.value).toBe('v-1712');
      expect(Object.keys(g.json)).toEqual(['status', 'key', 'value', 'vector_clock']);

      const d = await http(port, 'DELETE', '/v1/key-value', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"tenant_id":"t-1a2b","key":"k-1"}',
      });
      expect(d.status).toBe(200);
      expect(Object.keys(d.json)).toEqual(['status', 'key', 'vector_clock', 'replica_count']);

      const gone = await http(port, 'GET', '/v1/key-value?tenant_id=t-1a2b&key=k-1');
      expect([gone.status, gone.json.error_code]).toEqual([404, 'KEY_NOT_FOUND']);
    });

    it('6: 60 writes and 50 reads within 2 s from 5 clients on fresh connections get no 429', async () => {
      await send(port, 'POST', '/v1/tenants', { tenant_id: 'compat6', replication_factor: 3 });
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: 5 }, async (_, c) => {
          for (let i = 0; i < 12; i++) {
            const w = await send(port, 'POST', '/v1/key-value', { tenant_id: 'compat6', key: `k${c}-${i}`, value: i }, { Connection: 'close' });
            statuses.push(w.status);
          }
          for (let i = 0; i < 10; i++) {
            const r = await http(port, 'GET', `/v1/key-value?tenant_id=compat6&key=k${c}-${i}`, { headers: { Connection: 'close' } });
            statuses.push(r.status);
          }
        }),
      );
      expect(statuses).toHaveLength(110);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    });
  });

  describe('key-value', () => {
    beforeAll(async () => {
      await send(port, 'POST', '/v1/tenants', { tenant_id: 'acme' });
    });

    it('stores the compact serialization and returns the same JSON value', async () => {
      const value = { name: 'Ada', tags: ['x', 1.5, null, true], nested: { 'é': '😀' } };
      await http(port, 'POST', '/v1/key-value', {
        headers: { 'Content-Type': 'application/json' },
        body: `{ "tenant_id" : "acme", "key": "user:42", "value": ${JSON.stringify(value, null, 2)} }`,
      });
      const call = stub.callsOf('WriteKeyValue').at(-1)!;
      expect((call.request as pb.WriteKeyValueRequest__Output).value.toString('utf8')).toBe(JSON.stringify(value));
      const g = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=user%3A42');
      expect(g.json.value).toEqual(value);
    });

    it('forwards the request id, the idempotency key, the level and the deadline', async () => {
      const before = Date.now();
      const a = await send(
        port,
        'POST',
        '/v1/key-value',
        { tenant_id: 'acme', key: 'fwd', value: 1, consistency: 'all' },
        { 'X-Request-ID': 'r-fwd-1', 'Idempotency-Key': 'order-7781' },
      );
      expect(a.headers['x-request-id']).toBe('r-fwd-1');
      const call = stub.callsOf('WriteKeyValue').at(-1)!;
      const req = call.request as pb.WriteKeyValueRequest__Output;
      expect(call.ctx.requestId).toBe('r-fwd-1');
      expect(req.idempotency_key).toBe('order-7781');
      expect(req.consistency).toBe('CONSISTENCY_ALL');
      expect(req.context).toBeNull();
      expect(call.ctx.deadlineMs).toBeGreaterThanOrEqual(before + 8000 - 50);
      expect(call.ctx.deadlineMs).toBeLessThanOrEqual(Date.now() + 8000);
      expect(a.json.idempotency_key).toBe('order-7781');
      expect(a.json.consistency).toBe('all');
    });

    it('replays a duplicate POST (X-Idempotency-Status: replayed, is_duplicate true)', async () => {
      const body = { tenant_id: 'acme', key: 'idem', value: 'once' };
      const first = await send(port, 'POST', '/v1/key-value', body, { 'Idempotency-Key': 'dup-1' });
      const second = await send(port, 'POST', '/v1/key-value', body, { 'Idempotency-Key': 'dup-1' });
      expect(first.headers['x-idempotency-status']).toBe('recorded');
      expect(second.headers['x-idempotency-status']).toBe('replayed');
      expect(second.json.is_duplicate).toBe(true);
      expect(second.json.vector_clock).toEqual(first.json.vector_clock);
    });

    it('sends the causal context from the body or X-Vector-Clock, and {} as present-but-empty', async () => {
      await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'ctx', value: 1, vector_clock: { 'coord-2': 5, 'coord-1': 7 } });
      let req = stub.callsOf('WriteKeyValue').at(-1)!.request as pb.WriteKeyValueRequest__Output;
      expect(req.context!.entries.map((e) => [e.actor, e.counter])).toEqual([
        ['coord-1', '7'],
        ['coord-2', '5'],
      ]);
      await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'ctx', value: 1 }, { 'X-Vector-Clock': '{}' });
      req = stub.callsOf('WriteKeyValue').at(-1)!.request as pb.WriteKeyValueRequest__Output;
      expect(req.context).toEqual({ entries: [] });
      await send(port, 'DELETE', '/v1/key-value', { tenant_id: 'acme', key: 'ctx' }, { 'X-Vector-Clock': '{"coord-1":9}' });
      const del = stub.callsOf('DeleteKeyValue').at(-1)!.request as pb.DeleteKeyValueRequest__Output;
      expect(del.context!.entries.map((e) => [e.actor, e.counter])).toEqual([['coord-1', '9']]);
    });

    it('takes the tenant from X-Tenant-ID or the query, and DELETE from the query', async () => {
      expect((await send(port, 'POST', '/v1/key-value', { key: 'hdr', value: 2 }, { 'X-Tenant-ID': 'acme' })).status).toBe(200);
      expect((await http(port, 'GET', '/v1/key-value?key=hdr', { headers: { 'X-Tenant-ID': 'acme' } })).json.value).toBe(2);
      const d = await http(port, 'DELETE', '/v1/key-value?tenant_id=acme&key=hdr&consistency=all');
      expect(d.status).toBe(200);
      expect((stub.callsOf('DeleteKeyValue').at(-1)!.request as pb.DeleteKeyValueRequest__Output).consistency).toBe('CONSISTENCY_ALL');
    });

    it('adds siblings in the coordinator order, tombstones as deleted', async () => {
      await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'cart:9', value: ['b'] });
      stub.siblings.set('cart:9', [
        { value: Buffer.from('["b"]'), vector_clock: { entries: [{ actor: 'coord-2', counter: 5 }] } },
        { value: Buffer.from('["a"]'), vector_clock: { entries: [{ actor: 'coord-1', counter: 3 }] } },
        { value: Buffer.alloc(0), vector_clock: { entries: [{ actor: 'coord-3', counter: 1 }] } },
      ]);
      const g = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=cart%3A9');
      expect(g.json.siblings).toEqual([
        { value: ['b'], vector_clock: { 'coord-2': 5 } },
        { value: ['a'], vector_clock: { 'coord-1': 3 } },
        { deleted: true, vector_clock: { 'coord-3': 1 } },
      ]);
    });

    it('answers 404 TENANT_NOT_FOUND for an unknown tenant (rate-limit lookup)', async () => {
      const a = await send(port, 'POST', '/v1/key-value', { tenant_id: 'nobody', key: 'k', value: 1 });
      expect([a.status, a.json.error_code]).toEqual([404, 'TENANT_NOT_FOUND']);
      expect(a.headers['x-ratelimit-limit']).toBeUndefined();
    });

    it('carries rate-limit headers on answers past step 7, errors included', async () => {
      const ok = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=user%3A42');
      expect(ok.headers['x-ratelimit-limit']).toBe('10000');
      expect(Number(ok.headers['x-ratelimit-remaining'])).toBeGreaterThan(9000);
      expect(Number(ok.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      const bad = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=');
      expect(bad.status).toBe(400);
      expect(bad.headers['x-ratelimit-limit']).toBe('10000');
      const miss = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=missing');
      expect(miss.status).toBe(404);
      expect(miss.headers['x-ratelimit-limit']).toBe('10000');
      expect((await http(port, 'GET', '/health')).headers['x-ratelimit-limit']).toBeUndefined();
    });
  });

  describe('rate limiting (§6)', () => {
    it('answers 429 with Retry-After once the tenant bucket is empty', async () => {
      await send(port, 'POST', '/v1/tenants', { tenant_id: 'tiny', rate_limits: { writes_per_minute: 2, reads_per_minute: null } });
      const a1 = await send(port, 'POST', '/v1/key-value', { tenant_id: 'tiny', key: 'a', value: 1 });
      const a2 = await send(port, 'POST', '/v1/key-value', { tenant_id: 'tiny', key: 'a', value: 2 });
      const a3 = await send(port, 'POST', '/v1/key-value', { tenant_id: 'tiny', key: 'a', value: 3 }, { 'X-Request-ID': 'r-18' });
      expect([a1.status, a2.status, a3.status]).toEqual([200, 200, 429]);
      expect(a1.headers['x-ratelimit-limit']).toBe('2');
      expect(a1.headers['x-ratelimit-remaining']).toBe('1');
      expect(a3.json).toEqual({
        status: 'error',
        error_code: 'RATE_LIMIT_EXCEEDED',
        message: 'write limit exceeded for tenant tiny',
        request_id: 'r-18',
        retry_after_seconds: Number(a3.headers['retry-after']),
      });
      expect(Number(a3.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(a3.headers['retry-after'])).toBeLessThanOrEqual(30);
      expect(a3.headers['x-ratelimit-remaining']).toBe('0');
      // Deletes share the write bucket; reads have their own (the gateway default).
      expect((await send(port, 'DELETE', '/v1/key-value', { tenant_id: 'tiny', key: 'a' })).status).toBe(429);
      const r = await http(port, 'GET', '/v1/key-value?tenant_id=tiny&key=a');
      expect(r.status).toBe(200);
      expect(r.headers['x-ratelimit-limit']).toBe('10000');
      const metrics = await http(port, 'GET', '/metrics');
      expect(metrics.text).toMatch(/pairdb_gateway_rate_limited_total\{class="write"\} 2/);
    });

    it('applies a PATCHed limit at once on this gateway', async () => {
      await send(port, 'POST', '/v1/tenants', { tenant_id: 'grow', rate_limits: { writes_per_minute: 1 } });
      expect((await send(port, 'POST', '/v1/key-value', { tenant_id: 'grow', key: 'a', value: 1 })).status).toBe(200);
      expect((await send(port, 'POST', '/v1/key-value', { tenant_id: 'grow', key: 'a', value: 1 })).status).toBe(429);
      const p = await send(port, 'PATCH', '/v1/tenants/grow', { rate_limits: { writes_per_minute: 1000 } });
      expect(p.json.rate_limits.writes_per_minute).toBe(1000);
      const after = await send(port, 'POST', '/v1/key-value', { tenant_id: 'grow', key: 'a', value: 1 });
      expect(after.headers['x-ratelimit-limit']).toBe('1000');
    });

    it('rate-limit false disables limiting and its headers', async () => {
      const open = new GatewayDaemon(config({ rateLimit: false }), silentLogger());
      await open.start();
      try {
        const before = stub.callsOf('GetTenant').length;
        const a = await send(open.port, 'POST', '/v1/key-value', { tenant_id: 'tiny', key: 'b', value: 1 });
        expect(a.status).toBe(200);
        expect(a.headers['x-ratelimit-limit']).toBeUndefined();
        expect(stub.callsOf('GetTenant').length).toBe(before);
      } finally {
        await open.stop('test');
      }
    });
  });

  describe('coordinator failures (§10)', () => {
    it('passes API codes through (409 IDEMPOTENCY_KEY_IN_USE with Retry-After, 400 IDEMPOTENCY_KEY_CONFLICT)', async () => {
      stub.failNext.set('WriteKeyValue', { code: 'IDEMPOTENCY_KEY_IN_USE' });
      const a = await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 });
      expect([a.status, a.json.error_code, a.headers['retry-after']]).toEqual([409, 'IDEMPOTENCY_KEY_IN_USE', '1']);
      expect(a.json.outcome).toBeUndefined();
      stub.failNext.set('WriteKeyValue', { code: 'IDEMPOTENCY_KEY_CONFLICT' });
      const b = await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 });
      expect([b.status, b.json.error_code]).toEqual([400, 'IDEMPOTENCY_KEY_CONFLICT']);
    });

    it('503 QUORUM_NOT_REACHED: Retry-After 1, the coordinator outcome and the idempotency key', async () => {
      stub.failNext.set('WriteKeyValue', { code: 'QUORUM_NOT_REACHED', outcome: 'unknown' });
      const a = await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 }, { 'Idempotency-Key': 'q-1' });
      expect([a.status, a.json.error_code, a.headers['retry-after']]).toEqual([503, 'QUORUM_NOT_REACHED', '1']);
      expect(a.json.outcome).toBe('unknown');
      expect(a.json.idempotency_key).toBe('q-1');
      stub.failNext.set('WriteKeyValue', { code: 'QUORUM_NOT_REACHED', outcome: 'not_applied' });
      const b = await send(port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 });
      expect(b.json.outcome).toBe('not_applied');
      stub.failNext.set('ReadKeyValue', { code: 'QUORUM_NOT_REACHED' });
      const r = await http(port, 'GET', '/v1/key-value?tenant_id=acme&key=user%3A42');
      expect([r.status, r.json.outcome]).toEqual([503, undefined]);
    });

    it('codes outside the HTTP API become 500 INTERNAL_ERROR', async () => {
      stub.failNext.set('DeleteKeyValue', { code: 'STALE_TOPOLOGY' });
      const a = await send(port, 'DELETE', '/v1/key-value', { tenant_id: 'acme', key: 'k' });
      expect([a.status, a.json.error_code, a.json.outcome]).toEqual([500, 'INTERNAL_ERROR', 'unknown']);
    });

    it('504 TIMEOUT at the backend deadline, outcome unknown on mutations', async () => {
      const quick = new GatewayDaemon(config({ coordinatorTimeoutMs: 300, rateLimit: false }), silentLogger());
      await quick.start();
      stub.hang.add('WriteKeyValue');
      stub.hang.add('GetTenant');
      try {
        const w = await send(quick.port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'slow', value: 1 }, { 'Idempotency-Key': 't-1' });
        expect([w.status, w.json.error_code, w.json.outcome, w.json.idempotency_key]).toEqual([504, 'TIMEOUT', 'unknown', 't-1']);
        expect(w.json.message).toBe('no answer within 300 ms');
        const g = await http(quick.port, 'GET', '/v1/tenants/acme');
        expect([g.status, g.json.error_code, g.json.outcome]).toEqual([504, 'TIMEOUT', undefined]);
      } finally {
        stub.hang.clear();
        stub.release();
        await quick.stop('test');
      }
    });
  });

  describe('tenant endpoints (§7)', () => {
    it('GET, list with pagination, PATCH and PUT replication-factor', async () => {
      await send(port, 'POST', '/v1/tenants', { tenant_id: 'zeta', conflict_resolution: 'siblings', rate_limits: { reads_per_minute: 50 } });
      const g = await http(port, 'GET', '/v1/tenants/zeta');
      expect(g.text).toBe(
        '{"status":"success","tenant_id":"zeta","replication_factor":3,"conflict_resolution":"siblings","rate_limits":{"writes_per_minute":null,"reads_per_minute":50},"created_at":"2025-03-01T09:30:00.000Z","updated_at":"2025-03-01T09:30:00.000Z","version":1}',
      );
      const nf = await http(port, 'GET', '/v1/tenants/nobody');
      expect([nf.status, nf.json.error_code]).toEqual([404, 'TENANT_NOT_FOUND']);

      const page1 = await http(port, 'GET', '/v1/tenants?limit=2');
      expect(page1.json.tenants).toHaveLength(2);
      expect(page1.json.tenants[0].status).toBeUndefined();
      expect(page1.json.next_cursor).toBe(page1.json.tenants[1].tenant_id);
      const all = await http(port, 'GET', '/v1/tenants?limit=1000');
      expect(all.json.next_cursor).toBeNull();
      const ids = all.json.tenants.map((t: { tenant_id: string }) => t.tenant_id);
      expect(ids).toEqual([...ids].sort());

      const p = await send(port, 'PATCH', '/v1/tenants/zeta', { conflict_resolution: 'lww', rate_limits: { reads_per_minute: null } });
      expect(p.status).toBe(200);
      expect(p.json).toMatchObject({ conflict_resolution: 'lww', rate_limits: { writes_per_minute: null, reads_per_minute: null }, version: 2 });

      const rf = await send(port, 'PUT', '/v1/tenants/zeta/replication-factor', { replication_factor: 5 });
      expect(rf.text).toBe(
        '{"status":"success","tenant_id":"zeta","old_replication_factor":3,"new_replication_factor":5,"migration_id":"mig-0b8e4a52-6c1f-4e0a-9d7e-3f2a1c9b8d70","updated_at":"2025-03-01T09:30:00.000Z"}',
      );
      const same = await send(port, 'PUT', '/v1/tenants/zeta/replication-factor', { replication_factor: 5 });
      expect(same.json.migration_id).toBeNull();
    });
  });

  describe('admin endpoints (§8)', () => {
    it('storage nodes: add (202 + Location), list, remove, not found', async () => {
      const add = await send(port, 'POST', '/v1/admin/storage-nodes', { node_id: 'storage-4', host: '127.0.0.1', port: 50055 });
      expect(add.status).toBe(202);
      expect(add.headers['location']).toBe('/v1/admin/migrations/mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e');
      expect(add.text).toBe(
        '{"status":"accepted","node_id":"storage-4","migration_id":"mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e","message":"node addition accepted","estimated_completion":null}',
      );
      expect((stub.callsOf('AddStorageNode').at(-1)!.request as pb.AddStorageNodeRequest__Output).virtual_nodes).toBe(150);

      const list = await http(port, 'GET', '/v1/admin/storage-nodes');
      expect(list.json.nodes.map((n: { node_id: string; status: string }) => [n.node_id, n.status])).toEqual([
        ['storage-1', 'normal'],
        ['storage-2', 'down'],
      ]);
      expect(list.json.nodes[1]).toMatchObject({ keys_count: null, disk_usage_percent: null });

      const rm = await http(port, 'DELETE', '/v1/admin/storage-nodes/storage-1?force=true');
      expect(rm.status).toBe(202);
      expect(rm.json.message).toBe('node removal accepted');
      expect((stub.callsOf('RemoveStorageNode').at(-1)!.request as pb.RemoveStorageNodeRequest__Output).force).toBe(true);
      const nf = await http(port, 'DELETE', '/v1/admin/storage-nodes/storage-9');
      expect([nf.status, nf.json.error_code]).toEqual([404, 'NODE_NOT_FOUND']);
    });

    it('migration status and cluster overview', async () => {
      const m = await http(port, 'GET', '/v1/admin/migrations/mig-5d2f7c1e-8a9b-4c3d-b1e2-6f7a8b9c0d1e');
      expect(m.status).toBe(200);
      expect(m.json).toMatchObject({
        type: 'node_addition',
        node_id: 'storage-4',
        tenant_id: null,
        migration_status: 'in_progress',
        progress: { keys_migrated: 1, total_keys: 3, percentage: 33.33 },
        started_at: '2025-03-01T09:31:02.114Z',
        completed_at: null,
        error: null,
      });
      const unknown = await http(port, 'GET', '/v1/admin/migrations/mig-00000000-0000-4000-8000-000000000000');
      expect([unknown.status, unknown.json.error_code]).toEqual([404, 'MIGRATION_NOT_FOUND']);

      const c = await http(port, 'GET', '/v1/admin/cluster');
      expect(c.status).toBe(200);
      expect(Object.keys(c.json)).toEqual([
        'status',
        'cluster_status',
        'version',
        'generated_at',
        'coordinators',
        'storage_nodes',
        'tenants',
        'migrations',
      ]);
      expect(c.json.cluster_status).toBe('degraded'); // storage-2 is down
      expect(c.json.coordinators).toEqual([{ address: stub.address, healthy: true }]);
      expect(c.json.storage_nodes).toEqual({ total: 2, bootstrapping: 0, normal: 1, leaving: 0, down: 1, failed: 0 });
      expect(c.json.migrations).toEqual({ active: null, pending: 0 });
    });
  });

  describe('shutdown (§1.6)', () => {
    it('drains an in-flight request; requests arriving meanwhile get 503 + Connection: close, /ready 503', async () => {
      const d = new GatewayDaemon(config({ rateLimit: false, shutdownTimeoutMs: 5000 }), silentLogger());
      await d.start();
      await until(async () => (await http(d.port, 'GET', '/ready')).status === 200);
      stub.hang.add('ReadKeyValue');
      try {
        const before = stub.callsOf('ReadKeyValue').length;
        const slow = http(d.port, 'GET', '/v1/key-value?tenant_id=acme&key=user%3A42');
        await until(async () => stub.callsOf('ReadKeyValue').length > before);
        // Requests whose headers are still arriving when the drain starts: their connections are not idle.
        const post = raw(d.port, [
          'POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 38\r\n',
          150,
          '\r\n{"tenant_id":"acme","key":"k","value":1}',
        ]);
        const ready = raw(d.port, ['GET /ready HTTP/1.1\r\nHost: x\r\n', 150, '\r\n']);
        await new Promise((r) => setTimeout(r, 50));
        const stopped = d.stop('test');
        const late = parseRaw(await post);
        expect(late.status).toBe(503);
        expect(JSON.parse(late.body)).toMatchObject({ error_code: 'SERVICE_UNAVAILABLE', outcome: 'not_applied' });
        expect(late.headers['connection']).toBe('close');
        const r = parseRaw(await ready);
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body)).toEqual({ status: 'not_ready', reason: 'shutting_down', checks: { coordinators: { healthy: 1, total: 1 } } });
        stub.release();
        const answer = await slow;
        expect(answer.status).toBe(200);
        expect(answer.json.value).toBeDefined();
        expect(await stopped).toBe(true);
      } finally {
        stub.hang.clear();
        stub.release();
      }
    });

    it('forces connections when the drain exceeds the shutdown timeout', async () => {
      const d = new GatewayDaemon(config({ rateLimit: false, shutdownTimeoutMs: 200 }), silentLogger());
      await d.start();
      stub.hang.add('ReadKeyValue');
      try {
        const before = stub.callsOf('ReadKeyValue').length;
        const pending = http(d.port, 'GET', '/v1/key-value?tenant_id=acme&key=user%3A42').catch((e: Error) => e);
        await until(async () => stub.callsOf('ReadKeyValue').length > before);
        expect(await d.stop('test')).toBe(false);
        expect(await pending).toBeInstanceOf(Error);
      } finally {
        stub.hang.clear();
        stub.release();
      }
    });
  });
});
