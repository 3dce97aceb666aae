import { afterEach, describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import { PairdbError } from '../../../src/core/errors.js';
import { StorageClient } from '../../../src/core/rpc/clients.js';
import { pipeServer, unaryServer, type PipeHandler } from '../../../src/core/rpc/pipe.js';
import { bindServer, createServer } from '../../../src/core/rpc/server.js';

/** A real gRPC StorageService on 127.0.0.1 whose pipe and unary Read run `handler`. */
async function startPipeServer(handler: PipeHandler, onBatch?: (n: number) => void) {
  const inner = pipeServer(handler);
  const Pipe: grpc.handleBidiStreamingCall<any, any> = (call) => {
    if (onBatch) call.on('data', (b: { entries: unknown[] }) => onBatch(b.entries.length));
    inner(call);
  };
  const Read = unaryServer((req: unknown, ctx) => handler('read', req, ctx).then(([, msg]) => msg));
  const server = createServer('StorageService', { Pipe, Read }, () => 'SERVING');
  const port = await bindServer(server, '127.0.0.1', 0);
  return { server, port };
}

const servers: grpc.Server[] = [];
const clients: StorageClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

function opts(ms = 2000) {
  return { requestId: 'r-1', deadlineMs: Date.now() + ms };
}

describe('PipeClient and pipeServer', () => {
  it('answers each request with its own response, correlated by id', async () => {
    const { server, port } = await startPipeServer(async (member, payload: any) => {
      expect(member).toBe('read');
      return ['read_ok', { found: true, record: { tenant_id: payload.tenant_id, key: payload.key, versions: [], recent_writes: [] } }];
    });
    servers.push(server);
    const client = new StorageClient(`127.0.0.1:${port}`);
    clients.push(client);
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    const res = await Promise.all(keys.map((key) => client.read({ tenant_id: 't', key }, opts())));
    expect(res.map((r) => r.record?.key)).toEqual(keys);
  });

  it('packs the requests of one event-loop turn into few messages', async () => {
    const batches: number[] = [];
    const { server, port } = await startPipeServer(
      async () => ['read_ok', { found: false }],
      (n) => batches.push(n),
    );
    servers.push(server);
    const client = new StorageClient(`127.0.0.1:${port}`);
    clients.push(client);
    await client.read({ tenant_id: 't', key: 'warm' }, opts()); // opens the stream
    batches.length = 0;
    await Promise.all(Array.from({ length: 600 }, (_, i) => client.read({ tenant_id: 't', key: `k${i}` }, opts())));
    // 600 requests in one turn → ceil(600 / 256) = 3 messages.
    expect(batches).toEqual([256, 256, 88]);
  });

  it('carries the server error code back to the caller', async () => {
    const { server, port } = await startPipeServer(async () => {
      throw new PairdbError('SIBLING_LIMIT_EXCEEDED', 'too many', { outcome: 'not_applied' });
    });
    servers.push(server);
    const client = new StorageClient(`127.0.0.1:${port}`);
    clients.push(client);
    const err = await client.read({ tenant_id: 't', key: 'k' }, opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PairdbError);
    expect((err as PairdbError).code).toBe('SIBLING_LIMIT_EXCEEDED');
    expect((err as PairdbError).outcome).toBe('not_applied');
  });

  it('fails a request with TIMEOUT at its deadline while others on the pipe still succeed', async () => {
    const { server, port } = await startPipeServer(async (_m, payload: any) => {
      if (payload.key === 'slow') await new Promise((r) => setTimeout(r, 500));
      return ['read_ok', { found: false }];
    });
    servers.push(server);
    const client = new StorageClient(`127.0.0.1:${port}`);
    clients.push(client);
    const slow = client.read({ tenant_id: 't', key: 'slow' }, opts(100)).catch((e: PairdbError) => e.code);
    const fast = client.read({ tenant_id: 't', key: 'fast' }, opts(2000)).then((r) => r.found);
    expect(await fast).toBe(false);
    expect(await slow).toBe('TIMEOUT');
  });

  it('the server answers TIMEOUT without running the handler when the deadline passed on arrival', async () => {
    let ran = 0;
    const { server, port } = await startPipeServer(async () => {
      ran++;
      return ['read_ok', { found: false }];
    });
    servers.push(server);
    const client = new StorageClient(`127.0.0.1:${port}`);
    clients.push(client);
    // Deadline 1 ms ahead: it has passed by the time the server reads the entry.
    const err = await client.read({ tenant_id: 't', key: 'k' }, { requestId: 'r', deadlineMs: Date.now() + 1 }).catch((e: PairdbError) => e);
    expect((err as PairdbError).code).toBe('TIMEOUT');
    expect(ran).toBe(0);
  });

  it('fails in-flight requests with SERVICE_UNAVAILABLE (outcome unknown) when the peer goes away, then reconnects', async () => {
    let release: () => void = () => undefined;
    const first = await startPipeServer(
      () => new Promise((resolve) => (release = () => resolve(['read_ok', { found: false }]))),
    );
    const client = new StorageClient(`127.0.0.1:${first.port}`);
    clients.push(client);
    const pending = client.read({ tenant_id: 't', key: 'k' }, opts(5000)).catch((e: PairdbError) => e);
    await new Promise((r) => setTimeout(r, 100));
    first.server.forceShutdown();
    const err = (await pending) as PairdbError;
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.outcome).toBe('unknown');
    release();
    // A new server on the same port: after the backoff the pipe is re-opened.
    const second = await startPipeServerOnPort(first.port);
    servers.push(second);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await client.read({ tenant_id: 't', key: 'k' }, opts()).then(() => true, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
  });

  it('rejects at once with TIMEOUT when the deadline is already past', async () => {
    const client = new StorageClient('127.0.0.1:1');
    clients.push(client);
    const err = await client.read({ tenant_id: 't', key: 'k' }, { requestId: 'r', deadlineMs: Date.now() - 1 }).catch((e: PairdbError) => e);
    expect((err as PairdbError).code).toBe('TIMEOUT');
  });
});

async function startPipeServerOnPort(port: number): Promise<grpc.Server> {
  const server = createServer('StorageService', { Pipe: pipeServer(async () => ['read_ok', { found: true }]) }, () => 'SERVING');
  await bindServer(server, '127.0.0.1', port);
  return server;
}
