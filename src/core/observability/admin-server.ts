import { createServer, type Server } from 'node:http';
import { PairdbError } from '../errors.js';

/** What a daemon reports on its admin port (cli-and-ops.md §3 "Health"). */
export interface AdminProbe {
  /** Readiness and its checks; `ready` false → 503. */
  readiness(): { ready: boolean; checks: Record<string, unknown> };
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
}

/**
 * Serves `GET /livez`, `GET /readyz` and `GET /metrics` on `host:port` (port 0 = any free port).
 * Resolves with the server and the bound port.
 */
export async function startAdminServer(host: string, port: number, probe: AdminProbe): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json; charset=utf-8'): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, '{"status":"error","error_code":"METHOD_NOT_ALLOWED"}');
    if (path === '/livez') return send(200, '{"status":"ok"}');
    if (path === '/readyz') {
      const r = probe.readiness();
      return send(r.ready ? 200 : 503, JSON.stringify({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks }));
    }
    if (path === '/metrics') {
      probe.metrics().then(
        (text) => send(200, text, 'text/plain; version=0.0.4; charset=utf-8'),
        () => send(500, '{"status":"error","error_code":"INTERNAL_ERROR"}'),
      );
      return;
    }
    send(404, '{"status":"error","error_code":"ROUTE_NOT_FOUND"}');
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new PairdbError(err.code === 'EADDRINUSE' ? 'ADDRESS_IN_USE' : 'INTERNAL_ERROR', `admin port ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
