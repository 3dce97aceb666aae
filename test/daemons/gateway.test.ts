import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_DEFAULTS, GatewayDaemon, isLoopbackHost, type GatewayConfig } from '../../src/daemons/gateway.js';
import { silentLogger } from '../../src/core/observability/logger.js';
import { PairdbError } from '../../src/core/errors.js';
import { http, parseRaw, raw, send, unusedPort } from '../core/http/http-client.js';

/**
 * A real GatewayDaemon on 127.0.0.1:0 whose coordinator address has nothing listening: every rule the gateway
 * enforces on its own (http-api.md §1, §3) and its behaviour without a backend.
 */

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let coordinator: string;
let gw: GatewayDaemon; // defaults: rate limiting on, so data-plane calls need the (absent) coordinator at step 7
let open: GatewayDaemon; // rate limiting off: step-8 validation answers without any backend
let openPort: number;

function config(over: Partial<GatewayConfig>): GatewayConfig {
  return { ...GATEWAY_DEFAULTS, port: 0, adminPort: null, coordinators: [coordinator], ...over };
}

beforeAll(async () => {
  coordinator = `127.0.0.1:${await unusedPort()}`;
  gw = new GatewayDaemon(config({ adminPort: 0 }), silentLogger());
  await gw.start();
  open = new GatewayDaemon(config({ rateLimit: false }), silentLogger());
  await open.start();
  openPort = open.port;
});

afterAll(async () => {
  await gw?.stop('test done');
  await open?.stop('test done');
});

function expectError(a: { status: number; json: any; headers: Record<string, unknown> }, status: number, code: string): void {
  expect({ status: a.status, code: a.json?.error_code }).toEqual({ status, code });
  expect(a.json.status).toBe('error');
  expect(typeof a.json.message).toBe('string');
  expect(a.json.request_id).toBe(a.headers['x-request-id']);
  expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(a.headers['cache-control']).toBe('no-store');
}

describe('GatewayDaemon without a coordinator', () => {
  describe('root routes', () => {
    it('GET /health answers 200 {"status":"ok"} with the standard headers', async () => {
      const a = await http(gw.port, 'GET', '/health');
      expect(a.status).toBe(200);
      expect(a.text).toBe('{"status":"ok"}');
      expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(a.headers['content-length']).toBe('15');
      expect(a.headers['cache-control']).toBe('no-store');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
    });

    it('HEAD /health answers 200 with headers and no body', async () => {
      const a = await http(gw.port, 'HEAD', '/health');
      expect(a.status).toBe(200);
      expect(a.text).toBe('');
      expect(a.headers['content-length']).toBe('15');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
    });

    it('root routes ignore the query', async () => {
      expect((await http(gw.port, 'GET', '/health?x=1&x=2')).status).toBe(200);
    });

    it('GET /ready answers 503 not_ready while no coordinator is healthy', async () => {
      const a = await http(gw.port, 'GET', '/ready');
      expect(a.status).toBe(503);
      expect(a.json.status).toBe('not_ready');
      expect(['starting', 'no_healthy_coordinator']).toContain(a.json.reason);
      expect(a.json.checks).toEqual({ coordinators: { healthy: 0, total: 1 } });
      expect(Object.keys(a.json)).toEqual(['status', 'reason', 'checks']);
      const h = await http(gw.port, 'HEAD', '/ready');
      expect(h.status).toBe(503);
      expect(h.text).toBe('');
    });

    it('GET /metrics exposes the five gateway metrics in Prometheus text', async () => {
      await http(gw.port, 'GET', '/nope');
      const a = await http(gw.port, 'GET', '/metrics');
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      for (const name of [
        'pairdb_gateway_http_requests_total',
        'pairdb_gateway_http_request_duration_seconds',
        'pairdb_gateway_http_requests_in_flight',
        'pairdb_gateway_rate_limited_total',
        'pairdb_gateway_coordinator_calls_total',
      ]) {
        expect(a.text).toContain(`# TYPE ${name} `);
      }
      expect(a.text).toMatch(/pairdb_gateway_http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
    });

    it('serves /livez and /readyz on the admin port', async () => {
      expect(gw.adminPort).toBeGreaterThan(0);
      expect((await http(gw.adminPort!, 'GET', '/livez')).status).toBe(200);
      expect((await http(gw.adminPort!, 'GET', '/readyz')).status).toBe(503);
    });
  });

  describe('request ids (§1.3)', () => {
    it('echoes a valid inbound id on success and error answers', async () => {
      const ok = await http(gw.port, 'GET', '/health', { headers: { 'X-Request-ID': 'r-17.A_b' } });
      expect(ok.headers['x-request-id']).toBe('r-17.A_b');
      const nf = await http(gw.port, 'GET', '/nope', { headers: { 'X-Request-ID': 'x'.repeat(128) } });
      expect(nf.headers['x-request-id']).toBe('x'.repeat(128));
      expect(nf.json.request_id).toBe('x'.repeat(128));
    });

    it('replaces an invalid inbound id with a new lowercase UUIDv4', async () => {
      for (const bad of ['has space', 'x'.repeat(129), 'a/b', '']) {
        const a = await http(gw.port, 'GET', '/nope', { headers: { 'X-Request-ID': bad } });
        expect(a.headers['x-request-id']).toMatch(UUID_V4);
        expect(a.json.request_id).toBe(a.headers['x-request-id']);
      }
    });
  });

  describe('routing (§1.1)', () => {
    it('404 ROUTE_NOT_FOUND for unlisted paths, trailing slashes and wrong case', async () => {
      for (const path of ['/nope', '/v1/key-value/', '/V1/key-value', '/v1/tenants/', '/v1/tenants/a/b', '/health/']) {
        expectError(await http(gw.port, 'GET', path), 404, 'ROUTE_NOT_FOUND');
      }
    });

    it('405 METHOD_NOT_ALLOWED with Allow in the spec order', async () => {
      const cases: Array<[string, string, string]> = [
        ['PUT', '/v1/key-value', 'GET, POST, DELETE'],
        ['HEAD', '/v1/key-value', 'GET, POST, DELETE'],
        ['PATCH', '/v1/key-value', 'GET, POST, DELETE'],
        ['POST', '/health', 'GET, HEAD'],
        ['DELETE', '/v1/tenants/acme', 'GET, PATCH'],
        ['OPTIONS', '/v1/tenants', 'GET, POST'],
        ['GET', '/v1/tenants/acme/replication-factor', 'PUT'],
        ['POST', '/v1/admin/cluster', 'GET'],
      ];
      for (const [method, path, allow] of cases) {
        const a = await http(gw.port, method, path);
        expect(a.status, `${method} ${path}`).toBe(405);
        expect(a.headers['allow']).toBe(allow);
        if (method !== 'HEAD') expectError(a, 405, 'METHOD_NOT_ALLOWED');
      }
    });
  });

  describe('bodies (§1.2, §1.6)', () => {
    it('413 for a Content-Length above 2 MiB, unread, and the connection is closed', async () => {
      const text = await raw(gw.port, [
        'POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3145728\r\n\r\n',
      ]);
      const a = parseRaw(text);
      expect(a.status).toBe(413);
      expect(JSON.parse(a.body).error_code).toBe('PAYLOAD_TOO_LARGE');
      expect(a.headers['connection']).toBe('close');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
    });

    it('413 for a chunked body that streams past 2 MiB', async () => {
      const chunk = Buffer.alloc(512 * 1024, 0x20);
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      const text = await raw(gw.port, [
        'POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        frame,
        frame,
        frame,
        frame,
        frame,
      ]);
      const a = parseRaw(text);
      expect(a.status).toBe(413);
      expect(JSON.parse(a.body).error_code).toBe('PAYLOAD_TOO_LARGE');
      expect(a.headers['connection']).toBe('close');
    });

    it('413 for a GET body above the limit (size-checked, then ignored)', async () => {
      const a = parseRaw(await raw(gw.port, ['GET /v1/key-value?key=k HTTP/1.1\r\nHost: x\r\nContent-Length: 2097153\r\n\r\n']));
      expect(a.status).toBe(413);
    });

    it('415 for a non-JSON Content-Type on a body that is read', async () => {
      const a = await http(openPort, 'POST', '/v1/key-value', {
        headers: { 'Content-Type': 'text/plain' },
        body: '{"tenant_id":"acme","key":"k","value":1}',
      });
      expectError(a, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await send(openPort, 'POST', '/v1/tenants', { tenant_id: 'a' }, { 'Content-Type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('Expect: 100-continue: refuses an oversized body without 100, invites an acceptable one', async () => {
      const big = await raw(gw.port, [
        'POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 3000000\r\n\r\n',
      ]);
      expect(big.startsWith('HTTP/1.1 413 ')).toBe(true);
      const small = await raw(openPort, [
        'POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 11\r\nConnection: close\r\n\r\n',
        100,
        '{"key":"k"}',
      ]);
      expect(small.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
      expect(parseRaw(small.slice(small.indexOf('\r\n\r\n') + 4)).status).toBe(400);
    });

    it('413 comes before 415 (processing order)', async () => {
      const a = parseRaw(
        await raw(gw.port, ['POST /v1/key-value HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 9999999\r\n\r\n']),
      );
      expect(a.status).toBe(413);
    });

    it('400 for bodies that are not a UTF-8 JSON object', async () => {
      const bodies: Array<string | Buffer> = [
        '{"tenant_id":"acme",',
        '[1,2]',
        '"text"',
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"tenant_id":"acme","key":"k","value":1}')]),
        Buffer.from([0x7b, 0x22, 0x6b, 0x65, 0x79, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      ];
      for (const body of bodies) {
        expectError(await http(gw.port, 'POST', '/v1/key-value', { headers: { 'Content-Type': 'application/json' }, body }), 400, 'INVALID_REQUEST');
      }
    });

    it('400 for a POST without a body', async () => {
      expectError(await http(gw.port, 'POST', '/v1/key-value', { headers: { 'Content-Type': 'application/json' } }), 400, 'INVALID_REQUEST');
      expectError(await http(gw.port, 'PUT', '/v1/tenants/acme/replication-factor'), 400, 'INVALID_REQUEST');
    });

    it('an absent Content-Type is accepted', async () => {
      const a = await http(openPort, 'POST', '/v1/key-value', { body: '{"tenant_id":"acme","key":"","value":1}' });
      expectError(a, 400, 'INVALID_REQUEST'); // got past 415 to the key rule
    });
  });

  describe('data-plane validation (§3, rate limiting off)', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) => send(openPort, 'POST', '/v1/key-value', body, headers);

    it('400 for unknown members', async () => {
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1, ttl: 5 }), 400, 'INVALID_REQUEST');
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1, __proto__x: 1 }), 400, 'INVALID_REQUEST');
      expectError(await post('{"tenant_id":"acme","key":"k","value":1,"__proto__":{}}'), 400, 'INVALID_REQUEST');
    });

    it('400 for bad keys', async () => {
      for (const key of ['', 'x'.repeat(1025), 'a\u0001b', '\u0085', 5, null]) {
        expectError(await post({ tenant_id: 'acme', key, value: 1 }), 400, 'INVALID_REQUEST');
      }
      expectError(await post('{"tenant_id":"acme","key":"\\ud800","value":1}'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&key=%00'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme'), 400, 'INVALID_REQUEST');
    });

    it('400 for bad or missing tenants', async () => {
      expectError(await post({ tenant_id: 'bad tenant', key: 'k', value: 1 }), 400, 'INVALID_REQUEST');
      expectError(await post({ tenant_id: 'x'.repeat(256), key: 'k', value: 1 }), 400, 'INVALID_REQUEST');
      expectError(await post({ key: 'k', value: 1 }), 400, 'INVALID_REQUEST');
      expectError(await post({ tenant_id: 7, key: 'k', value: 1 }), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?key=k'), 400, 'INVALID_REQUEST');
    });

    it('400 for conflicting tenant sources', async () => {
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1 }, { 'X-Tenant-ID': 'other' }), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&key=k', { headers: { 'X-Tenant-ID': 'other' } }), 400, 'INVALID_REQUEST');
      expectError(await send(openPort, 'DELETE', '/v1/key-value?tenant_id=acme', { tenant_id: 'other', key: 'k' }), 400, 'INVALID_REQUEST');
    });

    it('400 for a bad consistency', async () => {
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1, consistency: 'QUORUM' }), 400, 'INVALID_REQUEST');
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1, consistency: 2 }), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&key=k&consistency=two'), 400, 'INVALID_REQUEST');
    });

    it('400 for bad vector clocks, in the body or X-Vector-Clock', async () => {
      const many: Record<string, number> = {};
      for (let i = 0; i < 65; i++) many[`c${i}`] = 1;
      for (const vc of [{ c1: -1 }, { c1: 1.5 }, { c1: '1' }, { 'bad actor': 1 }, { c1: 2 ** 53 }, many, [1]]) {
        expectError(await post({ tenant_id: 'acme', key: 'k', value: 1, vector_clock: vc }), 400, 'INVALID_REQUEST');
      }
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 1 }, { 'X-Vector-Clock': '{"c1":' }), 400, 'INVALID_REQUEST');
      expectError(
        await post({ tenant_id: 'acme', key: 'k', value: 1 }, { 'X-Vector-Clock': `{"c1":1,"c2":${'0'.repeat(8200)}1}` }),
        400,
        'INVALID_REQUEST',
      );
      expectError(
        await post({ tenant_id: 'acme', key: 'k', value: 1, vector_clock: { c1: 1 } }, { 'X-Vector-Clock': '{"c1":2}' }),
        400,
        'INVALID_REQUEST',
      );
    });

    it('400 for repeated or unknown query parameters', async () => {
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&key=k&key=k'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&tenant_id=acme&key=k'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/key-value?tenant_id=acme&key=k&extra=1'), 400, 'INVALID_REQUEST');
      expectError(await send(openPort, 'POST', '/v1/key-value?consistency=one', { tenant_id: 'acme', key: 'k', value: 1 }), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/tenants?limit=5&limit=6'), 400, 'INVALID_REQUEST');
    });

    it('400 for a bad Idempotency-Key', async () => {
      for (const k of ['has space', 'x'.repeat(256)]) {
        expectError(await post({ tenant_id: 'acme', key: 'k', value: 1 }, { 'Idempotency-Key': k }), 400, 'INVALID_REQUEST');
      }
    });

    it('413 PAYLOAD_TOO_LARGE for a value above 1 MiB in a body below 2 MiB', async () => {
      expectError(await post({ tenant_id: 'acme', key: 'k', value: 'x'.repeat(1_048_600) }), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('400 (not 500) for a value nested half a million levels deep', async () => {
      const deep = '{"tenant_id":"acme","key":"k","value":' + '['.repeat(500_000) + ']'.repeat(500_000) + '}';
      expectError(await post(deep), 400, 'INVALID_REQUEST');
    });

    it('400 for admin-plane input errors', async () => {
      expectError(await send(openPort, 'POST', '/v1/tenants', { tenant_id: 'a', replication_factor: 11 }), 400, 'INVALID_REPLICATION_FACTOR');
      expectError(await send(openPort, 'POST', '/v1/tenants', { replication_factor: 3 }), 400, 'INVALID_REQUEST');
      expectError(await send(openPort, 'PATCH', '/v1/tenants/acme', {}), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/tenants/bad%20id'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'GET', '/v1/tenants/%zz'), 400, 'INVALID_REQUEST');
      expectError(await http(openPort, 'DELETE', '/v1/admin/storage-nodes/s1?force=yes'), 400, 'INVALID_REQUEST');
      expectError(await send(openPort, 'POST', '/v1/admin/storage-nodes', { node_id: 's4', host: 'h', port: 0 }), 400, 'INVALID_REQUEST');
    });

    it('404 MIGRATION_NOT_FOUND for ids of another format, without a backend call', async () => {
      expectError(await http(openPort, 'GET', '/v1/admin/migrations/not-a-migration'), 404, 'MIGRATION_NOT_FOUND');
    });
  });

  describe('without a backend (§1.5, §10)', () => {
    it('a write answers 503 SERVICE_UNAVAILABLE with outcome, idempotency_key and Retry-After: 1', async () => {
      const a = await send(gw.port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 }, { 'Idempotency-Key': 'order-7781' });
      expectError(a, 503, 'SERVICE_UNAVAILABLE');
      expect(a.headers['retry-after']).toBe('1');
      // The tenant lookup (step 7) failed: the write itself never left the gateway.
      expect(a.json.outcome).toBe('not_applied');
      expect(a.json.idempotency_key).toBe('order-7781');
      expect(Object.keys(a.json)).toEqual(['status', 'error_code', 'message', 'request_id', 'outcome', 'idempotency_key']);
      expect(a.text).not.toContain(coordinator);
    });

    it('a write without Idempotency-Key gets a generated one in the 5xx body', async () => {
      const a = await send(gw.port, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 });
      expect(a.status).toBe(503);
      expect(a.json.idempotency_key).toMatch(UUID_V4);
    });

    it('a write sent to the absent coordinator answers 503 with an outcome (rate limiting off)', async () => {
      const a = await send(openPort, 'POST', '/v1/key-value', { tenant_id: 'acme', key: 'k', value: 1 });
      expectError(a, 503, 'SERVICE_UNAVAILABLE');
      expect(['not_applied', 'unknown']).toContain(a.json.outcome);
      expect(a.json.idempotency_key).toMatch(UUID_V4);
    });

    it('reads and deletes answer 503; only mutations carry an outcome', async () => {
      const g = await http(gw.port, 'GET', '/v1/key-value?tenant_id=acme&key=k');
      expectError(g, 503, 'SERVICE_UNAVAILABLE');
      expect(g.json.outcome).toBeUndefined();
      const d = await send(gw.port, 'DELETE', '/v1/key-value', { tenant_id: 'acme', key: 'k' });
      expectError(d, 503, 'SERVICE_UNAVAILABLE');
      expect(d.json.outcome).toBe('not_applied');
      expect(d.json.idempotency_key).toBeUndefined();
    });

    it('admin calls answer 503 (mutations with an outcome)', async () => {
      const c = await send(gw.port, 'POST', '/v1/tenants', { tenant_id: 't-1a2b', replication_factor: 2 });
      expectError(c, 503, 'SERVICE_UNAVAILABLE');
      expect(['not_applied', 'unknown']).toContain(c.json.outcome);
      const l = await http(gw.port, 'GET', '/v1/admin/cluster');
      expectError(l, 503, 'SERVICE_UNAVAILABLE');
      expect(l.json.outcome).toBeUndefined();
    });
  });

  describe('framing (§1.6)', () => {
    it('431 HEADERS_TOO_LARGE above 16 KiB of headers, then close', async () => {
      const text = await raw(gw.port, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
      const a = parseRaw(text);
      expect(a.status).toBe(431);
      expect(JSON.parse(a.body).error_code).toBe('HEADERS_TOO_LARGE');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
      expect(a.headers['connection']).toBe('close');
    });

    it('400 INVALID_REQUEST for malformed HTTP, then close', async () => {
      const a = parseRaw(await raw(gw.port, ['GARBAGE\r\n\r\n']));
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body).error_code).toBe('INVALID_REQUEST');
      expect(a.headers['x-request-id']).toMatch(UUID_V4);
    });

    it('408 REQUEST_TIMEOUT when headers or the body arrive too slowly', async () => {
      const slow = new GatewayDaemon(config({ headersTimeoutMs: 300, requestTimeoutMs: 600, coordinatorTimeoutMs: 500 }), silentLogger());
      await slow.start();
      try {
        const h = parseRaw(await raw(slow.port, ['GET /health HTTP/1.1\r\nHost: x\r\n'], 5000));
        expect(h.status).toBe(408);
        expect(JSON.parse(h.body).error_code).toBe('REQUEST_TIMEOUT');
        expect(h.headers['x-request-id']).toMatch(UUID_V4);
        const b = parseRaw(
          await raw(slow.port, ['POST /v1/tenants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"tenant'], 5000),
        );
        expect(b.status).toBe(408);
        expect(JSON.parse(b.body).error_code).toBe('REQUEST_TIMEOUT');
      } finally {
        await slow.stop('test');
      }
    });
  });
});

describe('GatewayDaemon startup rules (§2.1)', () => {
  it('refuses auth mode none on a non-loopback listener without --insecure, naming the listener', async () => {
    const d = new GatewayDaemon({ ...GATEWAY_DEFAULTS, host: '0.0.0.0', port: 0, adminPort: null }, silentLogger());
    const err = await d.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PairdbError);
    expect((err as PairdbError).code).toBe('USAGE');
    expect((err as PairdbError).message).toContain('0.0.0.0:0');
    await d.stop('test');
  });

  it('refuses auth mode token (not supported yet)', async () => {
    const d = new GatewayDaemon({ ...GATEWAY_DEFAULTS, port: 0, adminPort: null, authMode: 'token' }, silentLogger());
    await expect(d.start()).rejects.toMatchObject({ code: 'USAGE' });
    await d.stop('test');
  });

  it('refuses a coordinator timeout that is not below the request timeout', async () => {
    const d = new GatewayDaemon({ ...GATEWAY_DEFAULTS, port: 0, adminPort: null, coordinatorTimeoutMs: 10_000 }, silentLogger());
    await expect(d.start()).rejects.toMatchObject({ code: 'USAGE' });
    await d.stop('test');
  });

  it('reports a busy port as ADDRESS_IN_USE', async () => {
    const d = new GatewayDaemon({ ...GATEWAY_DEFAULTS, port: gw.port, adminPort: null }, silentLogger());
    await expect(d.start()).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await d.stop('test');
  });

  it('knows which hosts are loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
