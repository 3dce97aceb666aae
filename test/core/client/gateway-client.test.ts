import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../../src/core/client/gateway-client.js';
import { PairdbError } from '../../../src/core/errors.js';

/** A stand-in gateway on a real socket: each test sets what it answers and sees what it got. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
let handler: (req: Seen, res: ServerResponse) => void = () => undefined;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function rejection(p: Promise<unknown>): Promise<PairdbError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PairdbError);
    return err as PairdbError;
  }
  throw new Error('expected a rejection');
}

describe('GatewayClient', () => {
  it('posts the value with tenant, consistency, context and the idempotency key', async () => {
    handler = (_s, res) => json(res, 200, { status: 'success', key: 'k', idempotency_key: 'idem-1', vector_clock: { c1: 2 }, replica_count: 3, consistency: 'all', is_duplicate: false });
    const c = new GatewayClient({ url: base, timeoutMs: 5000 });
    try {
      const body = await c.put({ tenant: 'acme', key: 'k', value: { a: [1] }, consistency: 'all', idempotencyKey: 'idem-1', vectorClock: { c1: 1 } });
      expect(body.vector_clock).toEqual({ c1: 2 });
      const req = seen.at(-1)!;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/v1/key-value');
      expect(req.headers['idempotency-key']).toBe('idem-1');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(req.body)).toEqual({ tenant_id: 'acme', key: 'k', value: { a: [1] }, consistency: 'all', vector_clock: { c1: 1 } });
    } finally {
      await c.close();
    }
  });

  it('encodes the key of a get in the query and keeps a URL path prefix', async () => {
    handler = (_s, res) => json(res, 200, { status: 'success', key: 'a b/c', value: 1, vector_clock: {} });
    const c = new GatewayClient({ url: `${base}/prefix/`, timeoutMs: 5000 });
    try {
      await c.get({ tenant: 't', key: 'a b/c&x' });
      const u = new URL(seen.at(-1)!.url, base);
      expect(u.pathname).toBe('/prefix/v1/key-value');
      expect(u.searchParams.get('key')).toBe('a b/c&x');
      expect(u.searchParams.get('tenant_id')).toBe('t');
      expect(u.searchParams.has('consistency')).toBe(false);
    } finally {
      await c.close();
    }
  });

  it('turns an error envelope into its code, request id and outcome', async () => {
    handler = (_s, res) =>
      json(res, 504, { status: 'error', error_code: 'TIMEOUT', message: 'no answer within 8000 ms', request_id: 'r-17', outcome: 'unknown', idempotency_key: 'x' });
    const c = new GatewayClient({ url: base, timeoutMs: 5000 });
    try {
      const e = await rejection(c.put({ tenant: 't', key: 'k', value: 'v', idempotencyKey: 'x' }));
      expect(e.code).toBe('TIMEOUT');
      expect(e.requestId).toBe('r-17');
      expect(e.outcome).toBe('unknown');
      expect(e.exitCode).toBe(5);
    } finally {
      await c.close();
    }
  });

  it('maps the HTTP status when the body is not an envelope', async () => {
    handler = (_s, res) => {
      res.writeHead(503, { 'content-type': 'text/html', 'x-request-id': 'hdr-1' });
      res.end('<html>down</html>');
    };
    const c = new GatewayClient({ url: base, timeoutMs: 5000 });
    try {
      const e = await rejection(c.getTenant('acme'));
      expect(e.code).toBe('SERVICE_UNAVAILABLE');
      expect(e.requestId).toBe('hdr-1');
    } finally {
      await c.close();
    }
  });

  it('keeps 404 KEY_NOT_FOUND (exit 3)', async () => {
    handler = (_s, res) => json(res, 404, { status: 'error', error_code: 'KEY_NOT_FOUND', message: 'key not found', request_id: 'r-1' });
    const c = new GatewayClient({ url: base, timeoutMs: 5000 });
    try {
      const e = await rejection(c.delete({ tenant: 't', key: 'gone' }));
      expect(e.code).toBe('KEY_NOT_FOUND');
      expect(e.exitCode).toBe(3);
      expect(seen.at(-1)!.method).toBe('DELETE');
    } finally {
      await c.close();
    }
  });

  it('answers CONNECTION_FAILED (exit 5, not applied) when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = new GatewayClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    try {
      const e = await rejection(c.put({ tenant: 't', key: 'k', value: 'v', idempotencyKey: 'x' }));
      expect(e.code).toBe('CONNECTION_FAILED');
      expect(e.exitCode).toBe(5);
      expect(e.outcome).toBe('not_applied');
    } finally {
      await c.close();
    }
  });

  it('answers TIMEOUT with outcome unknown when a mutation gets no answer in time', async () => {
    handler = () => undefined; // never answers
    const c = new GatewayClient({ url: base, timeoutMs: 200 });
    try {
      const e = await rejection(c.put({ tenant: 't', key: 'k', value: 'v', idempotencyKey: 'x' }));
      expect(e.code).toBe('TIMEOUT');
      expect(e.outcome).toBe('unknown');
      const r = await rejection(c.get({ tenant: 't', key: 'k' }));
      expect(r.code).toBe('TIMEOUT');
      expect(r.outcome).toBeUndefined();
    } finally {
      await c.close();
      server.closeAllConnections();
    }
  });

  it('refuses a URL that is not http(s) with USAGE', () => {
    for (const url of ['ftp://x', 'not a url']) {
      let code: string | undefined;
      try {
        new GatewayClient({ url, timeoutMs: 1 });
      } catch (e) {
        code = (e as PairdbError).code;
      }
      expect(code).toBe('USAGE');
    }
  });
});
